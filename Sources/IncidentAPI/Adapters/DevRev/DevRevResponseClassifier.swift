public import Normalizer

/// Reads DevRev responses (DevRev's error schema `{type, message, retry_after}`): the incident id from `{"incident":{"id":…}}`, `retry_after` from
/// 429 bodies, the error `type` into the failure message. Pure.
public struct DevRevResponseClassifier: Sendable {
    private let http: HTTPStatusClassifier

    /// Creates a classifier.
    public init(redactor: Redactor) {
        http = HTTPStatusClassifier(redactor: redactor)
    }

    /// Classifies the answer to `action`.
    public func classify(_ response: HTTPResponse, for action: IncidentCommand.Action) -> TargetOutcome {
        let document = try? JSONParser().parse(response.body)
        if (200..<300).contains(response.status) {
            switch action {
            case .create, .update, .resolve, .reopen:
                guard let id = document?["incident"]?["id"]?.string, !id.isEmpty else {
                    return .permanent(
                        TargetFailure(
                            .invalidResponse,
                            "DevRev answered \(response.status) without incident.id",
                            httpStatus: response.status
                        )
                    )
                }
                return .success(externalID: id, httpStatus: response.status)
            case .comment:
                return .success(externalID: document?["timeline_entry"]?["id"]?.string, httpStatus: response.status)
            }
        }
        let bodyHint = document?["retry_after"]?.int64.map { RetryHint.after(.seconds($0)) }
        var outcome = http.classify(response, vendorRetryHint: bodyHint)
        if let type = document?["type"]?.string {
            if var failure = outcome.failure {
                failure.message =
                    "DevRev \(type)\(document?["message"]?.string.map { ": \(http.redactor.redact($0))" } ?? "")"
                outcome = outcome.replacingFailure(failure)
            }
        }
        return outcome
    }

    /// Classifies the answer to an `incidents.list` lookup.
    public func classifyLookup(_ response: HTTPResponse) -> LookupOutcome {
        guard (200..<300).contains(response.status) else { return .failed(http.classify(response)) }
        guard let incidents = (try? JSONParser().parse(response.body))?["incidents"]?.array else {
            return .failed(
                .permanent(
                    TargetFailure(
                        .invalidResponse,
                        "incidents.list answered without `incidents`",
                        httpStatus: response.status
                    )
                )
            )
        }
        guard let id = incidents.first?["id"]?.string else { return .notFound }
        return .found(externalID: id)
    }

    /// The tags of the incident an `incidents.get` answered: `incident.tags[].tag.{id, name}`.
    /// - Throws: the classified failure when the answer is not a success.
    public func currentTags(_ response: HTTPResponse) throws(TargetFailureOutcome) -> [(id: String, name: String)] {
        guard (200..<300).contains(response.status) else {
            throw TargetFailureOutcome(classify(response, for: .update))
        }
        let tags = (try? JSONParser().parse(response.body))?["incident"]?["tags"]?.array ?? []
        return tags.compactMap { item in
            guard let id = item["tag"]?["id"]?.string else { return nil }
            return (id, item["tag"]?["name"]?.string ?? "")
        }
    }

    /// The id of the tag named `name` in a `tags.list` answer, or `nil` when there is none.
    /// - Throws: the classified failure when the answer is not a success.
    public func existingTag(named name: String, in response: HTTPResponse) throws(TargetFailureOutcome) -> String? {
        guard (200..<300).contains(response.status) else {
            throw TargetFailureOutcome(classify(response, for: .update))
        }
        return (try? JSONParser().parse(response.body))?["tags"]?.array?.first { $0["name"]?.string == name }?["id"]?
            .string
    }

    /// The new tag's id in a `tags.create` answer.
    /// - Throws: the classified failure, or `target_invalid_response` without `tag.id`.
    public func createdTag(_ response: HTTPResponse) throws(TargetFailureOutcome) -> String {
        guard (200..<300).contains(response.status) else {
            throw TargetFailureOutcome(classify(response, for: .update))
        }
        guard let id = (try? JSONParser().parse(response.body))?["tag"]?["id"]?.string else {
            throw .permanent(.invalidResponse, "tags.create answered without tag.id", httpStatus: response.status)
        }
        return id
    }

    /// Classifies a transport failure.
    public func classify(_ error: HTTPTransportError) -> TargetOutcome { http.classify(error) }
}

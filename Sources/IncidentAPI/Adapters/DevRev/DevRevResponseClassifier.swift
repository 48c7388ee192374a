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

    /// Classifies the answer to an `incidents.list` lookup: the first open incident listed, else the first one.
    ///
    /// The list holds closed incidents too (a key that fired again after its resolve has several), so each one's
    /// status is read: `stage.state.is_final` where the answer has it, else whether `stage.stage.id` is
    /// `resolvedStage` (or the stage is named `resolved`, `canceled`, `duplicate` or `closed`).
    /// - Parameter resolvedStage: the DON of the tenant's resolved stage (`target.resolved_stage`).
    public func classifyLookup(_ response: HTTPResponse, resolvedStage: String? = nil) -> LookupOutcome {
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
        let found = incidents.compactMap { item -> (id: String, status: LookupOutcome.Status)? in
            guard let id = item["id"]?.string, !id.isEmpty else { return nil }
            return (id, Self.status(of: item, resolvedStage: resolvedStage))
        }
        guard let chosen = found.first(where: { $0.status == .open }) ?? found.first else { return .notFound }
        return .found(externalID: chosen.id, status: chosen.status)
    }

    /// Whether a listed incident is open, from its `stage`.
    static func status(of incident: JSONValue, resolvedStage: String?) -> LookupOutcome.Status {
        let stage = incident["stage"]
        if case .bool(let isFinal)? = stage?["state"]?["is_final"] { return isFinal ? .closed : .open }
        guard let id = stage?["stage"]?["id"]?.string else { return .unknown }
        let closedNames: Set<String> = ["resolved", "canceled", "cancelled", "duplicate", "closed"]
        if id == resolvedStage || closedNames.contains(stage?["stage"]?["name"]?.string?.lowercased() ?? "") {
            return .closed
        }
        return .open
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

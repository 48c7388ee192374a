public import Normalizer

/// Reads DevRev responses (CONTRACTS.md §4.4): the incident id from `{"incident":{"id":…}}`, `retry_after` from
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
            outcome = Self.annotated(
                outcome,
                with: "DevRev \(type)\(document?["message"]?.string.map { ": \(http.redactor.redact($0))" } ?? "")"
            )
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

    /// Classifies a transport failure.
    public func classify(_ error: HTTPTransportError) -> TargetOutcome { http.classify(error) }

    private static func annotated(_ outcome: TargetOutcome, with message: String) -> TargetOutcome {
        switch outcome {
        case .success: return outcome
        case .retryable(var failure, let hint):
            failure.message = message
            return .retryable(failure, retryAfter: hint)
        case .authFailure(var failure):
            failure.message = message
            return .authFailure(failure)
        case .permanent(var failure):
            failure.message = message
            return .permanent(failure)
        }
    }
}

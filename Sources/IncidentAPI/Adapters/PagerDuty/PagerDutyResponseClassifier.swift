import Normalizer

/// Reads Events API v2 answers, after its "API Response Codes & Retry Logic" table: 202 accepted, 400 a bad event
/// (final), 429 "too many API calls at a time" and 5xx retried after some time. Pure.
public struct PagerDutyResponseClassifier: Sendable {
    private let http: HTTPStatusClassifier

    /// Creates a classifier; `redactor` should know the routing key.
    public init(redactor: Redactor) {
        http = HTTPStatusClassifier(redactor: redactor)
    }

    /// Classifies the answer to an event sent with `dedupKey`: a success carries the `dedup_key` as the incident id.
    public func classify(_ response: HTTPResponse, dedupKey: String) -> TargetOutcome {
        let document = try? JSONParser().parse(response.body)
        if (200..<300).contains(response.status) {
            guard document?["status"]?.string == "success" else {
                return .permanent(
                    TargetFailure(
                        .invalidResponse,
                        "PagerDuty answered \(response.status) without status success",
                        httpStatus: response.status
                    )
                )
            }
            return .success(externalID: document?["dedup_key"]?.string ?? dedupKey, httpStatus: response.status)
        }
        var outcome = http.classify(response)
        if let message = document?["message"]?.string, var failure = outcome.failure {
            let errors = document?["errors"]?.array?.compactMap(\.string) ?? []
            let text = ([message] + errors).joined(separator: "; ")
            failure.message = "PagerDuty: \(http.redactor.redact(text))"
            outcome = outcome.replacingFailure(failure)
        }
        return outcome
    }
}

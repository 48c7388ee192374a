public import Normalizer

/// Reads ServiceNow's answers. Pure.
///
/// Successes carry `{"result": …}` (an object for a record, a list for a query); failures carry
/// `{"error": {"message", "detail"}, "status": "failure"}`, whose message and detail go into the failure.
public struct ServiceNowResponseClassifier: Sendable {
    private let http: HTTPStatusClassifier

    /// Creates a classifier.
    public init(redactor: Redactor) {
        http = HTTPStatusClassifier(redactor: redactor)
    }

    /// The `result` of a successful answer.
    /// - Throws: the classified failure, with ServiceNow's error message and detail.
    public func accept(_ response: HTTPResponse) throws(TargetFailureOutcome) -> JSONValue? {
        let document = try? JSONParser().parse(response.body)
        guard (200..<300).contains(response.status) else {
            var outcome = http.classify(response)
            if let error = document?["error"], var failure = outcome.failure {
                let text = [error["message"]?.string, error["detail"]?.string].compactMap { $0 }.joined(separator: ": ")
                if !text.isEmpty {
                    failure.message = "ServiceNow: \(http.redactor.redact(text))"
                    outcome = outcome.replacingFailure(failure)
                }
            }
            throw TargetFailureOutcome(outcome)
        }
        return document?["result"]
    }

    /// The `sys_id` of the record a create answered.
    /// - Throws: the classified failure, or `target_invalid_response` without `result.sys_id`.
    public func createdID(_ response: HTTPResponse) throws(TargetFailureOutcome) -> String {
        guard let id = try accept(response)?["sys_id"]?.string, !id.isEmpty else {
            throw .permanent(.invalidResponse, "ServiceNow answered without result.sys_id", httpStatus: response.status)
        }
        return id
    }

    /// The incident a lookup found: the first `result` entry's `sys_id`, open unless its `state` is Resolved (6),
    /// Closed (7) or Canceled (8), the default instance's values (the lookup asks for active incidents only, and
    /// a Resolved one stays active until it closes).
    public func classifyLookup(_ response: HTTPResponse) -> LookupOutcome {
        do {
            guard let found = try accept(response)?.array else {
                return .failed(
                    .permanent(
                        TargetFailure(
                            .invalidResponse,
                            "the query answered without a result list",
                            httpStatus: response.status
                        )
                    )
                )
            }
            guard let first = found.first, let id = first["sys_id"]?.string, !id.isEmpty else { return .notFound }
            let status: LookupOutcome.Status =
                switch first["state"]?.scalarText {
                case nil: .unknown
                case "6"?, "7"?, "8"?: .closed
                default: .open
                }
            return .found(externalID: id, status: status)
        } catch {
            return .failed(error.outcome)
        }
    }
}

public import Normalizer

/// The answer-reading rules most vendors share: the HTTP semantics, the vendor's error message from its error body,
/// and (Infraon) refusals that arrive as a 2xx. Pure.
public struct VendorResponseClassifier: Sendable {
    /// The vendor's name in failure messages, e.g. `Infraon`.
    public var vendor: String
    /// Keys of the error body whose string value is the vendor's message, tried in order.
    public var messageKeys: [String]
    /// Whether a 2xx with `{"status": "error"}` is a refusal (Infraon).
    public var statusErrorOnSuccess: Bool
    /// The shared HTTP semantics.
    public let http: HTTPStatusClassifier

    /// Creates a classifier.
    public init(vendor: String, messageKeys: [String], statusErrorOnSuccess: Bool = false, redactor: Redactor) {
        self.vendor = vendor
        self.messageKeys = messageKeys
        self.statusErrorOnSuccess = statusErrorOnSuccess
        http = HTTPStatusClassifier(redactor: redactor)
    }

    /// `nil` when the call succeeded (read the body for ids), else the failure.
    public func failure(of response: HTTPResponse) -> TargetOutcome? {
        let document = try? JSONParser().parse(response.body)
        let message = messageKeys.lazy.compactMap { document?[$0]?.string }.first
        guard (200..<300).contains(response.status) else {
            var outcome = http.classify(response)
            if let message, var failure = outcome.failure {
                failure.message = "\(vendor): \(http.redactor.redact(message))"
                outcome = outcome.replacingFailure(failure)
            }
            return outcome
        }
        if statusErrorOnSuccess, document?["status"]?.string == "error" {
            return .permanent(
                TargetFailure(
                    .rejected,
                    "\(vendor): \(http.redactor.redact(message ?? "status error"))",
                    httpStatus: response.status
                )
            )
        }
        return nil
    }

    /// The parsed body of a successful answer (`nil` when it is empty or not JSON).
    /// - Throws: the classified failure otherwise.
    public func accept(_ response: HTTPResponse) throws(TargetFailureOutcome) -> JSONValue? {
        if let failure = failure(of: response) { throw TargetFailureOutcome(failure) }
        return try? JSONParser().parse(response.body)
    }
}

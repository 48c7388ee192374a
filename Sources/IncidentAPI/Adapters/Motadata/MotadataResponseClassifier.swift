public import Normalizer

/// Reads Motadata answers: the incident API's `{"returnCode", "status", "userMessage", "id"}` envelope, the request
/// API's request object, and errors with `userMessage` (or Spring's `error_description` from the token endpoint).
/// Pure.
public struct MotadataResponseClassifier: Sendable {
    private let http: HTTPStatusClassifier
    private let api: MotadataConfiguration.API

    /// Creates a classifier.
    public init(api: MotadataConfiguration.API, redactor: Redactor) {
        self.api = api
        http = HTTPStatusClassifier(redactor: redactor)
    }

    /// Classifies one call's answer; `isCreate` requires the new incident's id.
    public func classify(_ response: HTTPResponse, isCreate: Bool) -> TargetOutcome {
        let document = try? JSONParser().parse(response.body)
        guard (200..<300).contains(response.status) else {
            var outcome = http.classify(response)
            let detail = document?["userMessage"]?.string ?? document?["error_description"]?.string
            if let detail, var failure = outcome.failure {
                failure.message = "Motadata: \(http.redactor.redact(detail))"
                outcome = outcome.replacingFailure(failure)
            }
            return outcome
        }
        // The envelope can say something other than SUCCESS with a 2xx: a refusal.
        if api == .incident, let code = document?["returnCode"]?.string, code != "SUCCESS" {
            return .permanent(
                TargetFailure(
                    .rejected,
                    "Motadata returnCode \(code): \(http.redactor.redact(document?["userMessage"]?.string ?? "no message"))",
                    httpStatus: response.status
                )
            )
        }
        let id = document?["id"]?.scalarText
        if isCreate && (id ?? "").isEmpty {
            return .permanent(
                TargetFailure(
                    .invalidResponse,
                    "Motadata answered \(response.status) without id",
                    httpStatus: response.status
                )
            )
        }
        return .success(externalID: id, httpStatus: response.status)
    }

    /// The incident a GET answered (the incident API's object, which carries no id).
    /// - Throws: the classified failure, or `target_invalid_response` when the answer is no object.
    public func incident(_ response: HTTPResponse) throws(TargetFailureOutcome) -> JSONObject {
        let outcome = classify(response, isCreate: false)
        guard case .success = outcome else { throw TargetFailureOutcome(outcome) }
        guard let incident = (try? JSONParser().parse(response.body))?.object else {
            throw .permanent(.invalidResponse, "Motadata returned no incident", httpStatus: response.status)
        }
        return incident
    }
}

public import Normalizer

/// Reads ServiceDesk's answers. Pure.
///
/// The page documents no error body (ASP.NET Web API answers `{"Message": …}`) and no create answer: the session id
/// is read from an `Incident` object's `sessionId`, or from a bare GUID string.
public struct SymantecResponseClassifier: Sendable {
    private let vendor: VendorResponseClassifier

    /// Creates a classifier.
    public init(redactor: Redactor) {
        vendor = VendorResponseClassifier(vendor: "ServiceDesk", messageKeys: ["Message"], redactor: redactor)
    }

    /// The parsed body of a successful answer.
    /// - Throws: the classified failure.
    public func accept(_ response: HTTPResponse) throws(TargetFailureOutcome) -> JSONValue? {
        try vendor.accept(response)
    }

    /// The incident a GET answered.
    /// - Throws: the classified failure, or `target_invalid_response` when the answer is no `Incident` object.
    public func incident(_ response: HTTPResponse) throws(TargetFailureOutcome) -> JSONObject {
        guard let incident = try accept(response)?.object else {
            throw .permanent(.invalidResponse, "ServiceDesk returned no incident", httpStatus: response.status)
        }
        return incident
    }

    /// The new incident's session id.
    /// - Throws: the classified failure, or `target_invalid_response` without one.
    public func createdID(_ response: HTTPResponse) throws(TargetFailureOutcome) -> String {
        guard let id = Self.sessionID(in: try accept(response)) else {
            throw .permanent(
                .invalidResponse,
                "ServiceDesk answered \(response.status) without a sessionId",
                httpStatus: response.status
            )
        }
        return id
    }

    /// The session id in a create answer: a bare GUID string, or an `Incident` object's `sessionId`.
    public static func sessionID(in document: JSONValue?) -> String? {
        if let id = document?.string, !id.isEmpty { return id }
        for key in ["sessionId", "SessionId", "incidentSessionId"] {
            if let id = document?[key]?.string, !id.isEmpty { return id }
        }
        return nil
    }
}

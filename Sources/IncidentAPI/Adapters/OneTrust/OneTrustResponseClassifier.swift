public import Normalizer

/// Reads OneTrust's answers. Pure.
///
/// OneTrust documents no error body (400, 401, 403, 500 come without a schema), so a `message` or `error` is shown
/// when one arrives; a 429 carries `Retry-After`, which the shared HTTP semantics obey.
public struct OneTrustResponseClassifier: Sendable {
    private let vendor: VendorResponseClassifier

    /// Creates a classifier.
    public init(redactor: Redactor) {
        vendor = VendorResponseClassifier(vendor: "OneTrust", messageKeys: ["message", "error"], redactor: redactor)
    }

    /// The parsed body of a successful answer.
    /// - Throws: the classified failure.
    public func accept(_ response: HTTPResponse) throws(TargetFailureOutcome) -> JSONValue? {
        try vendor.accept(response)
    }

    /// The new incident's id: "Create Incident" answers 201 with the UUID as a bare JSON string.
    /// - Throws: the classified failure, or `target_invalid_response` without the id.
    public func createdID(_ response: HTTPResponse) throws(TargetFailureOutcome) -> String {
        guard let id = try accept(response)?.string, !id.isEmpty else {
            throw .permanent(
                .invalidResponse,
                "OneTrust answered \(response.status) without the incident id",
                httpStatus: response.status
            )
        }
        return id
    }

    /// The incident a search answer holds for `dedupKey`: one whose description carries the key's marker line (the
    /// full-text search may match loosely), the open one first, else the newest by `number`; with its status from
    /// `incidentStatus` (`OPEN` or `CLOSED`, read-only in OneTrust's reference).
    public static func found(
        in answer: JSONValue?,
        dedupKey: String
    ) -> (id: String, status: LookupOutcome.Status)? {
        let matching = (answer?.array ?? []).filter { item in
            DescriptionSections.contains(item["description"]?.string ?? "", dedupKey: dedupKey)
                && item["incidentId"]?.string != nil
        }
        let chosen =
            matching.first { $0["incidentStatus"]?.string != "CLOSED" }
            ?? matching.max { ($0["number"]?.int64 ?? 0) < ($1["number"]?.int64 ?? 0) }
        guard let chosen, let id = chosen["incidentId"]?.string else { return nil }
        let status: LookupOutcome.Status =
            switch chosen["incidentStatus"]?.string {
            case "OPEN"?: .open
            case "CLOSED"?: .closed
            default: .unknown
            }
        return (id, status)
    }
}

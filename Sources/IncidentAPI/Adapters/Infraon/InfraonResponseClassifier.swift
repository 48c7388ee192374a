public import Normalizer

/// Reads Infraon's answers. Pure.
///
/// Refusals: the HTTP status with `{"error"}` (the guide's Responses page) or DRF's `{"detail"}`, and a 2xx with
/// `{"status": "error", "msg"}`, which Fortinet's connector shows real tenants sending.
public struct InfraonResponseClassifier: Sendable {
    private let vendor: VendorResponseClassifier

    /// Creates a classifier.
    public init(redactor: Redactor) {
        vendor = VendorResponseClassifier(
            vendor: "Infraon",
            messageKeys: ["error", "msg", "message", "detail"],
            statusErrorOnSuccess: true,
            redactor: redactor
        )
    }

    /// The parsed body of a successful answer.
    /// - Throws: the classified failure.
    public func accept(_ response: HTTPResponse) throws(TargetFailureOutcome) -> JSONValue? {
        try vendor.accept(response)
    }

    /// Whether an answer to `inci_resolve/` means the tenant does not take it (no such endpoint, the method or the
    /// body refused), so the resolve falls back to a whole-document PUT of the status.
    public func refusesEndpoint(_ response: HTTPResponse) -> Bool {
        if [400, 404, 405, 422, 501].contains(response.status) { return true }
        return (200..<300).contains(response.status) && vendor.failure(of: response) != nil
    }

    /// The new incident's id when a create answered with one: `data.id`, `id` or `data.incident_id` (the guide says
    /// there is no body; Fortinet's connector reads `data.id`).
    public static func createdID(in document: JSONValue?) -> String? {
        for candidate in [document?["data"]?["id"], document?["id"], document?["data"]?["incident_id"]] {
            if let id = candidate?.scalarText, !id.isEmpty { return id }
        }
        return nil
    }

    /// The incidents of a list answer — a bare array (the guide) or `{"results": […], "next"}` (real tenants) — and
    /// whether another page may follow.
    /// - Throws: ``TargetFailure/Code/invalidResponse`` for any other answer.
    public static func listPage(_ document: JSONValue?) throws(TargetFailureOutcome) -> (items: [JSONValue], more: Bool)
    {
        if let items = document?.array {
            return (items, items.count >= InfraonRequestBuilder.pageSize)
        }
        if let items = document?["results"]?.array {
            let next = document?["next"]
            return (items, next != nil && next != .null)
        }
        throw .permanent(.invalidResponse, "Infraon's incident list answered neither a list nor {results}")
    }

    /// A listed incident's id and creation time, when it carries the marker line of `dedupKey` in any text.
    public static func match(_ item: JSONValue, dedupKey: String) -> (id: String, createdAt: String)? {
        guard mentions(item, dedupKey: dedupKey),
            let id = (item["incident_id"] ?? item["id"])?.scalarText, !id.isEmpty
        else { return nil }
        return (id, item["creation_time"]?.string ?? "")
    }

    /// Whether a listed incident is still open: its status (`basic_info.status` as a name or an option, or the
    /// list's `status_name`) is none of `closedStatuses`; ``LookupOutcome/Status/unknown`` when the item shows none.
    public static func status(of item: JSONValue, closedStatuses: Set<String>) -> LookupOutcome.Status {
        let info = item["basic_info"]
        let status =
            info?["status"]?.string ?? info?["status"]?["name"]?.string ?? item["status_name"]?.string
            ?? item["status"]?.string
        guard let status else { return .unknown }
        return closedStatuses.contains(status) ? .closed : .open
    }

    private static func mentions(_ value: JSONValue, dedupKey: String) -> Bool {
        switch value {
        case .string(let text): DescriptionSections.contains(text, dedupKey: dedupKey)
        case .array(let items): items.contains { mentions($0, dedupKey: dedupKey) }
        case .object(let object): object.members.contains { mentions($0.value, dedupKey: dedupKey) }
        default: false
        }
    }
}

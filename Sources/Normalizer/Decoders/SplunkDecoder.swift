/// Splunk's webhook alert action (https://docs.splunk.com/Documentation/Splunk/latest/Alert/Webhooks): `search_name`,
/// `result` (the first result row), `sid`, `results_link`, `app`, `owner`.
///
/// A saved search is one problem, so its name (in its app) is the dedup key; Splunk sends no resolve, so every
/// notification fires.
public struct SplunkDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .splunk }
    public var detectionRank: Int? { 19 }
    public var detectionRule: String { "`search_name` + `result` (an object) + (`sid` or `results_link`)" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["search_name"] != nil && object["result"]?.object != nil
            && (object["sid"] != nil || object["results_link"] != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let search = object.text("search_name") else {
            throw Rejection(.invalidPayload, "splunk: search_name is required")
        }
        let result = object.object("result") ?? JSONObject()
        var labels = LabelBuilder()
        labels.set("splunk_app", object.text("app"))
        labels.set("splunk_owner", object.text("owner"))
        labels.set("splunk_sid", object.text("sid"))
        // The result row's own fields; Splunk's internal ones (`_raw`, `_time`, `_si`, …) and empty ones left out.
        for (key, value) in result.stringMembers where !key.hasPrefix("_") && !value.isEmpty {
            labels.set("result.\(key)", value)
        }
        var all = labels.labels
        let severity = context.severity(result.text("severity"), labels: &all)
        var links: [NormalizedEvent.Link] = []
        if let results = object.text("results_link") { links.append(.init(href: results, text: "results")) }
        let app = object.text("app").map { "\($0)/" } ?? ""
        return [
            NormalizedEvent(
                source: "splunk",
                dedupKey: "splunk:\(app)\(search)",
                status: .firing,
                severity: severity,
                title: search,
                description: result.text("_raw") ?? "",
                labels: all,
                links: links,
                occurredAt: result["_time"].flatMap { Timestamp(flexible: $0) } ?? context.receivedAt
            )
        ]
    }
}

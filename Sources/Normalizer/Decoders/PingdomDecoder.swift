/// Pingdom state-change webhooks: uptime checks (`current_state` `DOWN` / `UP`) and transaction checks (`FAILING` /
/// `SUCCESS`), as https://www.pingdom.com/resources/webhooks/ describes them.
///
/// One check is one problem: the check id is the dedup key, so the recovery resolves the incident the outage opened.
public struct PingdomDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .pingdom }
    public var detectionRank: Int? { 17 }
    public var detectionRule: String { "`check_id` + `check_name` + `current_state`" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["check_id"] != nil && object["check_name"] != nil && object["current_state"] != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let id = object.text("check_id"), let name = object.text("check_name") else {
            throw Rejection(.invalidPayload, "pingdom: check_id and check_name are required")
        }
        let state = object.text("current_state")?.uppercased()
        let status: AlertStatus
        switch state {
        case "DOWN", "FAILING": status = .firing
        case "UP", "SUCCESS": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "pingdom: current_state is \(other ?? "missing"), expected DOWN, UP, FAILING or SUCCESS"
            )
        }
        var labels = LabelBuilder()
        labels.set("check_type", object.text("check_type"))
        labels.set("state", state?.lowercased())
        labels.set("previous_state", object.text("previous_state")?.lowercased())
        labels.set("importance", object.text("importance_level")?.lowercased())
        let parameters = object.object("check_params")
        labels.set("hostname", parameters?.text("hostname"))
        labels.set("probe", object["first_probe"]?["location"]?.scalarText?.nonEmpty)
        labels.set("second_probe", object["second_probe"]?["location"]?.scalarText?.nonEmpty)
        let tags = (object.array("tags") ?? []).compactMap { $0.scalarText ?? $0["name"]?.scalarText }
        if !tags.isEmpty { labels.set("tags", tags.joined(separator: ",")) }
        var all = labels.labels
        let severity: Severity
        switch object.text("importance_level")?.uppercased() {
        case "HIGH": severity = .high
        case "LOW": severity = .low
        case let word: severity = context.severity(word, labels: &all)
        }
        var description: [String] = []
        for text in [object.text("description"), object.text("long_description"), object.text("error_message")] {
            if let text, !description.contains(text) { description.append(text) }
        }
        var links: [NormalizedEvent.Link] = []
        if let url = parameters?.text("full_url") { links.append(.init(href: url, text: "checked URL")) }
        let changed =
            object["state_changed_timestamp"].flatMap { Timestamp(epoch: $0) }
            ?? object.text("state_changed_utc_time").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "pingdom",
                dedupKey: "pingdom:" + id,
                status: status,
                severity: severity,
                title: name,
                description: description.joined(separator: "\n\n"),
                labels: all,
                links: links,
                occurredAt: changed,
                resolvedAt: status == .resolved ? changed : nil
            )
        ]
    }
}

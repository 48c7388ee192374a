/// Datadog webhook with the template the README recommends
/// (https://docs.datadoghq.com/integrations/webhooks/). The body is a user template,
/// so the format is chosen by route only.
public struct DatadogDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .datadog }
    public var detectionRank: Int? { nil }
    public var detectionRule: String { "by route only: `alert_cycle_key`, `alert_id`, `alert_transition` or `title`" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["alert_cycle_key"] != nil || object["alert_id"] != nil || object["alert_transition"] != nil
            || object["title"] != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let transition = object.text("alert_transition", "transition") ?? ""
        let alertType = object.text("alert_type")?.lowercased()
        let recovered = transition.lowercased() == "recovered" || alertType == "success"
        let key: String
        if let cycle = object.text("alert_cycle_key") {
            key = "dd:" + cycle
        } else if let monitor = object.text("alert_id") {
            key = "dd:\(monitor):\(object.text("alert_scope", "scope") ?? "")"
        } else {
            throw Rejection(
                .invalidPayload,
                "datadog: alert_cycle_key or alert_id is required (see the README's webhook template)"
            )
        }
        var labels = LabelBuilder()
        labels.set("transition", transition.nonEmpty)
        labels.set("alert_type", alertType)
        labels.set("scope", object.text("alert_scope", "scope"))
        labels.set("hostname", object.text("hostname"))
        labels.set("aggregation_key", object.text("aggreg_key"))
        for tag in (object.text("tags") ?? "").split(separator: ",").prefix(100) {
            let parts = tag.split(separator: ":", maxSplits: 1).map { String($0).trimmingWhitespace() }
            if parts.count == 2 {
                labels.set("tag.\(parts[0])", parts[1])
            } else if let only = parts.first {
                labels.set("tag.\(only)", "true")
            }
        }
        var all = labels.labels
        var severity: Severity
        switch object.text("alert_priority", "priority")?.uppercased() {
        case "P1": severity = .critical
        case "P2": severity = .high
        case "P3": severity = .medium
        case "P4": severity = .low
        case "P5": severity = .info
        default:
            switch alertType {
            case "error": severity = .high
            case "warning": severity = .medium
            case "info": severity = .info
            default: severity = context.severity(nil, labels: &all)
            }
        }
        if transition.lowercased() == "no data" { severity = .low }
        // The title carries the transition ("[Triggered] [Memory Alert] …"); strip leading tags so it stays stable.
        let title = Self.strippingLeadingTags(object.text("title", "event_title") ?? "Datadog alert \(key)")
        var links: [NormalizedEvent.Link] = []
        if let link = object.text("link") { links.append(.init(href: link, text: "datadog")) }
        let time = object["date"].flatMap { Timestamp(epoch: $0) } ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "datadog",
                dedupKey: key,
                status: recovered ? .resolved : .firing,
                severity: severity,
                title: title,
                description: object.text("body", "text") ?? "",
                labels: all,
                links: links,
                occurredAt: time,
                resolvedAt: recovered ? time : nil
            )
        ]
    }

    /// `[Triggered] [P1] Memory high` → `Memory high`.
    static func strippingLeadingTags(_ title: String) -> String {
        var rest = Substring(title.trimmingWhitespace())
        while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        return rest.isEmpty ? title : String(rest)
    }
}

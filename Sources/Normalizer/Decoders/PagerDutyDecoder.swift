/// PagerDuty Events API v2 and v1 bodies, which many tools send
/// (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
///
/// The routing (or service) key is a credential: it is never copied into labels or text. The dedup key is scoped
/// by a hash of it, as PagerDuty scopes `dedup_key` by routing key.
public struct PagerDutyDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .pagerduty }
    public var detectionRank: Int? { 7 }
    public var detectionRule: String {
        "`routing_key` + `event_action` (Events API v2), or `service_key` + `event_type` (v1)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        (object["routing_key"] != nil && object["event_action"] != nil)
            || (object["service_key"] != nil && object["event_type"] != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let version1 = object["event_action"] == nil
        guard let routingKey = object.text(version1 ? "service_key" : "routing_key") else {
            throw Rejection(.invalidPayload, "pagerduty: the routing key is required")
        }
        let action = object.text(version1 ? "event_type" : "event_action")?.lowercased()
        let status: AlertStatus
        switch action {
        case "trigger": status = .firing
        case "acknowledge": status = .acknowledged
        case "resolve": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "pagerduty: event action is \(other ?? "missing"), expected trigger, acknowledge or resolve"
            )
        }
        let scope = String(FNV1a.hash(routingKey), radix: 16)
        let providedKey = object.text(version1 ? "incident_key" : "dedup_key")
        let key: String
        if let providedKey {
            key = "pd:\(scope):\(providedKey)"
        } else if status == .firing {
            // A trigger without dedup_key is always a new alert (PagerDuty Events v2): give it the record's identity.
            key =
                "pd:\(scope):record:\(context.input.recordID ?? String(FNV1a.hash(String(decoding: context.payload, as: UTF8.self)), radix: 16))"
        } else {
            throw Rejection(.invalidPayload, "pagerduty: \(action ?? "") without dedup_key cannot name an alert")
        }

        let payload = version1 ? nil : object.object("payload")
        var labels = LabelBuilder()
        for field in ["source", "component", "group", "class"] { labels.set(field, payload?.text(field)) }
        labels.flatten(version1 ? object["details"] : payload?["custom_details"], prefix: "details", depth: 2)
        labels.set("client", object.text("client"))
        var all = labels.labels
        let severity: Severity
        switch payload?.text("severity")?.lowercased() {
        case "critical": severity = .critical
        case "error": severity = .high
        case "warning": severity = .medium
        case "info": severity = .info
        case let word: severity = context.severity(word, labels: &all)
        }
        let summary = version1 ? object.text("description") : payload?.text("summary")
        if status == .firing && summary == nil {
            throw Rejection(
                .invalidPayload,
                "pagerduty: a trigger needs \(version1 ? "description" : "payload.summary")"
            )
        }
        var links: [NormalizedEvent.Link] = []
        for link in (object.array("links") ?? object.array("contexts") ?? []).prefix(20) {
            if let href = link["href"]?.string { links.append(.init(href: href, text: link["text"]?.string ?? "link")) }
        }
        for image in (object.array("images") ?? []).prefix(10) {
            if let href = image["href"]?.string ?? image["src"]?.string {
                links.append(.init(href: href, text: "image"))
            }
        }
        if let client = object.text("client_url") {
            links.append(.init(href: client, text: object.text("client") ?? "client"))
        }
        let time = payload?["timestamp"].flatMap { Timestamp(flexible: $0) } ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "pagerduty",
                dedupKey: key,
                status: status,
                severity: severity,
                title: summary ?? "PagerDuty alert \(providedKey ?? "")",
                description: "",
                labels: all,
                links: links,
                occurredAt: time,
                resolvedAt: status == .resolved ? time : nil,
                // Acknowledge and resolve apply to an open alert only; PagerDuty drops them otherwise.
                opensIncident: status == .firing,
                carriesContent: summary != nil
            )
        ]
    }
}

/// PagerDuty's outgoing webhooks, for an incident in PagerDuty becoming a ticket here: V3
/// (`event{event_type, resource_type, data}`), V2 and V1 (`messages[]`, one notification each)
/// (https://developer.pagerduty.com/docs/webhooks/).
///
/// The PagerDuty incident id is the dedup key. Triggered, reopened and unacknowledged incidents fire, acknowledged ones
/// are acknowledged, resolved ones resolve; annotations, priority changes, escalations and reassignments change no
/// status and give no event; events about other resources (services) are refused as `not_an_alert`.
public struct PagerDutyWebhookDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .pagerdutyWebhook }
    public var detectionRank: Int? { 8 }
    public var detectionRule: String {
        "`event.event_type` + `event.resource_type` + `event.data` (V3), or `messages[]` whose first element has `type` or `event` \"incident.…\" (V1, V2)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        if let event = object.object("event") {
            return event["event_type"] != nil && event["resource_type"] != nil && event["data"]?.object != nil
        }
        guard let first = object.array("messages")?.first?.object else { return false }
        return (first.text("event") ?? first.text("type"))?.hasPrefix("incident.") ?? false
    }

    /// The status an incident event type sets, `nil` for events that change none.
    static func status(_ verb: String) -> AlertStatus? {
        switch verb {
        case "trigger", "triggered", "reopened", "unacknowledge", "unacknowledged": .firing
        case "acknowledge", "acknowledged": .acknowledged
        case "resolve", "resolved": .resolved
        default: nil
        }
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        if let event = object.object("event") { return try decodeV3(event, context: context) }
        var events: [NormalizedEvent] = []
        for (position, element) in (object.array("messages") ?? []).enumerated() {
            guard let message = element.object else {
                throw Rejection(.invalidPayload, "pagerduty-webhook: messages[\(position)] is not an object")
            }
            // V2 carries `event` and `incident`; V1 `type` and `data.incident`.
            let type = message.text("event") ?? message.text("type") ?? ""
            guard let incident = message.object("incident") ?? message["data"]?["incident"]?.object else {
                throw Rejection(.invalidPayload, "pagerduty-webhook: messages[\(position)] has no incident")
            }
            guard let status = Self.status(String(type.dropFirst("incident.".count))) else {
                context.note("pagerduty-webhook: \(type) changes no status")
                continue
            }
            let summary = incident["trigger_summary_data"]?["subject"]?.scalarText
            let service = incident["service"]?["name"]?.scalarText ?? incident["service"]?["summary"]?.scalarText
            var labels = LabelBuilder()
            labels.set("pagerduty_service", service)
            labels.set("incident_number", incident.text("incident_number"))
            labels.set("incident_key", incident.text("incident_key"))
            labels.set("urgency", incident.text("urgency"))
            labels.set("pagerduty_event", type)
            let time =
                message.text("created_on").flatMap(Timestamp.init(rfc3339:))
                ?? incident.text("created_on", "created_at").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
            events.append(
                try event(
                    id: incident.text("id"),
                    status: status,
                    title: incident.text("title") ?? summary ?? incident.text("summary"),
                    description: incident.text("description") ?? "",
                    labels: labels,
                    urgency: incident.text("urgency"),
                    priority: incident["priority"]?["summary"]?.scalarText,
                    url: incident.text("html_url"),
                    time: time,
                    context: context
                )
            )
        }
        return events
    }

    private func decodeV3(_ event: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let type = event.text("event_type") ?? ""
        guard event.text("resource_type") == "incident", type.hasPrefix("incident.") else {
            throw Rejection(.notAnAlert, "pagerduty-webhook: \(type) is not about an incident")
        }
        guard let status = Self.status(String(type.dropFirst("incident.".count))) else {
            context.note("pagerduty-webhook: \(type) changes no status")
            return []
        }
        let data = event.object("data") ?? JSONObject()
        var labels = LabelBuilder()
        labels.set("pagerduty_service", data["service"]?["summary"]?.scalarText)
        labels.set("incident_number", data.text("number"))
        labels.set("incident_key", data.text("incident_key"))
        labels.set("urgency", data.text("urgency"))
        labels.set("escalation_policy", data["escalation_policy"]?["summary"]?.scalarText)
        labels.set("pagerduty_event", type)
        labels.set("pagerduty_agent", event["agent"]?["summary"]?.scalarText)
        let time = event.text("occurred_at").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        return [
            try self.event(
                id: data.text("id"),
                status: status,
                title: data.text("title", "summary"),
                description: "",
                labels: labels,
                urgency: data.text("urgency"),
                priority: data["priority"]?["summary"]?.scalarText,
                url: data.text("html_url"),
                time: time,
                context: context
            )
        ]
    }

    private func event(
        id: String?,
        status: AlertStatus,
        title: String?,
        description: String,
        labels: LabelBuilder,
        urgency: String?,
        priority: String?,
        url: String?,
        time: Timestamp?,
        context: DecodeContext
    ) throws(Rejection) -> NormalizedEvent {
        guard let id else { throw Rejection(.invalidPayload, "pagerduty-webhook: the incident has no id") }
        var all = labels.labels
        let severity: Severity
        if let priority, let known = Severity(vocabulary: priority) {
            severity = known
        } else {
            switch urgency?.lowercased() {
            case "high": severity = .high
            case "low": severity = .low
            case let word: severity = context.severity(word, labels: &all)
            }
        }
        return NormalizedEvent(
            source: "pagerduty-webhook",
            dedupKey: "pagerduty:incident:" + id,
            status: status,
            severity: severity,
            title: title ?? "PagerDuty incident \(id)",
            description: description,
            labels: all,
            links: url.map { [.init(href: $0, text: "pagerduty")] } ?? [],
            occurredAt: time,
            resolvedAt: status == .resolved ? time : nil,
            // An acknowledgement or resolution of an incident never seen here opens no ticket.
            opensIncident: status == .firing,
            carriesContent: title != nil
        )
    }
}

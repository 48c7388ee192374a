/// Opsgenie outgoing webhook (https://docs.opsgenie.com/docs/marid-alert-action-data).
public struct OpsgenieDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .opsgenie }
    public var detectionRank: Int? { 12 }
    public var detectionRule: String { "`action` + `alert.alertId` + `alert.tinyId`" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["action"] != nil && object["alert"]?["alertId"] != nil && object["alert"]?["tinyId"] != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let alert = object.object("alert"), let alertID = alert.text("alertId") else {
            throw Rejection(.invalidPayload, "opsgenie: alert.alertId is required")
        }
        var labels = LabelBuilder()
        let status: AlertStatus
        switch object.text("action")?.lowercased() {
        case "create", "unacknowledge": status = .firing
        case "acknowledge": status = .acknowledged
        case "close": status = .resolved
        case "delete":
            status = .resolved
            labels.set("deleted", "true")
        default: return []  // notes, ownership, escalation, tag and detail changes change no status
        }
        labels.flatten(alert["tags"], prefix: "tags")
        labels.set("alert_source", alert.text("source"))
        labels.set("entity", alert.text("entity"))
        labels.set("tiny_id", alert.text("tinyId"))
        labels.set("user", alert.text("username"))
        labels.flatten(alert["teams"], prefix: "teams")
        labels.set("integration", object.text("integrationName"))
        var all = labels.labels
        let severity: Severity
        switch alert.text("priority")?.uppercased() {
        case "P1": severity = .critical
        case "P2": severity = .high
        case "P3": severity = .medium
        case "P4": severity = .low
        case "P5": severity = .info
        case let word: severity = context.severity(word, labels: &all)
        }
        let key = "opsgenie:" + (alert.text("alias") ?? alertID)
        let message = alert.text("message")
        // createdAt is milliseconds; updatedAt is nanoseconds, beyond 2^53: read from the digits.
        let created = Timestamp(flexible: alert["createdAt"]) ?? context.receivedAt
        let updated = Timestamp(flexible: alert["updatedAt"]) ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "opsgenie",
                dedupKey: key,
                status: status,
                severity: severity,
                title: message ?? "Opsgenie alert \(alertID)",
                description: alert.text("description") ?? "",
                labels: all,
                links: [],
                occurredAt: created,
                resolvedAt: status == .resolved ? updated : nil,
                opensIncident: status != .acknowledged,
                carriesContent: message != nil
            )
        ]
    }
}

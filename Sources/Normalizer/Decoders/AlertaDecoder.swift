/// An alert as Alerta renders it (`resource`, `event`, `environment`, `severity`, `status`, `correlate`, …): what
/// Alerta's SNS plugin publishes to a topic (https://github.com/alerta/alerta-contrib/tree/master/plugins/sns), so it
/// arrives as an SNS notification's `Message`, or posted directly.
///
/// Alerta keeps one alert id for an event and the events it correlates with (`node_down` → `node_up`), so the id is
/// the dedup key; without one, environment, resource and event.
public struct AlertaDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .alerta }
    public var detectionRank: Int? { 22 }
    public var detectionRule: String {
        "`resource` + `event` + (`environment` or `severity`) + one of `correlate`, `origin`, `createTime`"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["resource"]?.string != nil && object["event"]?.string != nil
            && (object["environment"] != nil || object["severity"] != nil)
            && (object["correlate"] != nil || object["origin"] != nil || object["createTime"] != nil)
    }

    /// Alerta severities that mean the problem is over.
    private static let normal: Set<String> = ["normal", "ok", "cleared"]

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let resource = object.text("resource"), let event = object.text("event") else {
            throw Rejection(.invalidPayload, "alerta: resource and event are required")
        }
        let severityWord = object.text("severity")?.lowercased()
        let normalSeverity = severityWord.map(Self.normal.contains) ?? false
        let status: AlertStatus
        switch object.text("status")?.lowercased() {
        case "ack": status = .acknowledged
        case "closed", "expired": status = .resolved
        default: status = normalSeverity ? .resolved : .firing  // open, assign, shelved, blackout, unknown
        }
        var labels = LabelBuilder()
        labels.set("environment", object.text("environment"))
        labels.flatten(object["service"], prefix: "service")
        labels.set("group", object.text("group"))
        labels.set("origin", object.text("origin"))
        labels.set("alert_type", object.text("type"))
        labels.set("alerta_status", object.text("status"))
        labels.set("customer", object.text("customer"))
        labels.set("value", object.text("value"))
        labels.flatten(object["tags"], prefix: "tags")
        labels.flatten(object["attributes"], prefix: "attr", depth: 1)
        var all = labels.labels
        let severity: Severity
        switch severityWord {
        case "security", "critical": severity = .critical
        case "major": severity = .high
        case "minor", "warning": severity = .medium
        case "informational", "debug", "trace": severity = .info
        case let word? where Self.normal.contains(word): severity = context.options.defaultSeverity
        case "indeterminate", "unknown", nil: severity = context.options.defaultSeverity
        case let word: severity = context.severity(word, labels: &all)
        }
        let key =
            object.text("id").map { "alerta:" + $0 }
            ?? "alerta:\(object.text("environment") ?? "")/\(resource)/\(event)"
        let time =
            object.text("createTime", "receiveTime").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        let updated = object.text("lastReceiveTime", "updateTime").flatMap(Timestamp.init(rfc3339:)) ?? time
        return [
            NormalizedEvent(
                source: "alerta",
                dedupKey: key,
                status: status,
                severity: severity,
                title: "\(event) on \(resource)",
                description: object.text("text") ?? "",
                labels: all,
                links: object.text("href").map { [.init(href: $0, text: "alerta")] } ?? [],
                occurredAt: time,
                resolvedAt: status == .resolved ? updated : nil
            )
        ]
    }
}

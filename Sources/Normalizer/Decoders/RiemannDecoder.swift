/// A Riemann event posted as JSON (http://riemann.io/concepts.html): `host`, `service`, `state`, and optionally
/// `description`, `metric`, `time`, `ttl`, `tags` and custom attributes as further top-level members.
///
/// A host's service is one problem: `ok` resolves it, `expired` (the service stopped reporting) and every other state
/// fire it, the state word giving the severity.
public struct RiemannDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .riemann }
    public var detectionRank: Int? { 23 }
    public var detectionRule: String {
        "`host` + `service` + `state` + one of `description`, `metric`, `time`, `ttl`, `tags`"
    }

    /// Members Riemann itself defines; every other top-level scalar is a custom attribute.
    private static let known: Set<String> = [
        "host", "service", "state", "description", "metric", "metric_f", "metric_d", "metric_sint64", "time",
        "time_micros", "ttl", "tags",
    ]

    public func recognizes(_ object: JSONObject) -> Bool {
        object["host"]?.string != nil && object["service"]?.string != nil && object["state"]?.string != nil
            && (object["description"] != nil || object["metric"] != nil || object["time"] != nil
                || object["ttl"] != nil || object["tags"] != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let host = object.text("host"), let service = object.text("service"),
            let state = object.text("state")?.lowercased()
        else {
            throw Rejection(.invalidPayload, "riemann: host, service and state are required")
        }
        var labels = LabelBuilder()
        labels.set("host", host)
        labels.set("service", service)
        labels.set("state", state)
        labels.set("metric", object.text("metric", "metric_f", "metric_d", "metric_sint64"))
        labels.set("ttl", object.text("ttl"))
        labels.flatten(object["tags"], prefix: "tags")
        for (key, value) in object.stringMembers where !Self.known.contains(key) { labels.set("attr.\(key)", value) }
        var all = labels.labels
        let status: AlertStatus = state == "ok" ? .resolved : .firing
        let severity: Severity
        switch state {
        case "ok": severity = context.options.defaultSeverity
        case "expired": severity = .low
        default: severity = context.severity(state, labels: &all)
        }
        let time = Timestamp(flexible: object["time"]) ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "riemann",
                dedupKey: "riemann:\(host)/\(service)",
                status: status,
                severity: severity,
                title: "\(service) on \(host)",
                description: object.text("description") ?? "",
                labels: all,
                links: [],
                occurredAt: time,
                resolvedAt: status == .resolved ? time : nil
            )
        ]
    }
}

/// Site24x7 webhooks with the default JSON payload (`MONITORNAME`, `STATUS`, `INCIDENT_REASON`, …), as
/// https://www.site24x7.com/help/admin/third-party-integration/webhooks.html describes it.
///
/// `DOWN`, `CRITICAL` and `TROUBLE` fire, `UP` resolves; maintenance, suspension and discovery notices change no
/// status and give no event.
public struct Site24x7Decoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .site24x7 }
    public var detectionRank: Int? { 18 }
    public var detectionRule: String {
        "`MONITORNAME` + `STATUS` + one of `MONITORTYPE`, `MONITORURL`, `MONITOR_DASHBOARD_LINK`, `INCIDENT_REASON`"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["MONITORNAME"] != nil && object["STATUS"] != nil
            && (object["MONITORTYPE"] != nil || object["MONITORURL"] != nil
                || object["MONITOR_DASHBOARD_LINK"] != nil || object["INCIDENT_REASON"] != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let name = object.text("MONITORNAME"), let state = object.text("STATUS")?.uppercased() else {
            throw Rejection(.invalidPayload, "site24x7: MONITORNAME and STATUS are required")
        }
        let status: AlertStatus
        let severity: Severity
        switch state {
        case "DOWN", "CRITICAL":
            status = .firing
            severity = .critical
        case "TROUBLE":
            status = .firing
            severity = .medium
        case "UP":
            status = .resolved
            severity = context.options.defaultSeverity
        default:
            context.note("site24x7: STATUS \(state) is a notice (maintenance, suspension, discovery): no event")
            return []
        }
        var labels = LabelBuilder()
        labels.set("state", state.lowercased())
        labels.set("monitor_type", object.text("MONITORTYPE"))
        labels.set("monitor_group", object.text("MONITOR_GROUPNAME"))
        labels.set("failed_locations", object.text("FAILED_LOCATIONS"))
        labels.flatten(object["TAGS"], prefix: "tags")
        labels.flatten(object["GROUP_TAGS"], prefix: "group_tags")
        var links: [NormalizedEvent.Link] = []
        if let dashboard = object.text("MONITOR_DASHBOARD_LINK") {
            links.append(.init(href: dashboard, text: "monitor"))
        }
        if let url = object.text("MONITORURL"), url.contains("://") {
            links.append(.init(href: url, text: "monitored"))
        }
        if let rca = object.text("RCA_LINK") { links.append(.init(href: rca, text: "root cause analysis")) }
        let key = object.text("MONITOR_ID", "MONITORID") ?? name
        let time =
            object.text("INCIDENT_TIME_ISO").flatMap(Timestamp.init(rfc3339:))
            ?? object["OUTAGE_TIME_UNIX_FORMAT"].flatMap { Timestamp(epoch: $0) } ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "site24x7",
                dedupKey: "site24x7:" + key,
                status: status,
                severity: severity,
                title: name,
                description: object.text("INCIDENT_REASON") ?? "",
                labels: labels.labels,
                links: links,
                occurredAt: time,
                resolvedAt: status == .resolved ? time : nil
            )
        ]
    }
}

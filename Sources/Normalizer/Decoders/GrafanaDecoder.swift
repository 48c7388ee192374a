/// Grafana unified alerting webhook (Grafana 8 and later; INPUT-FORMATS.md §2.1).
///
/// The Alertmanager shape with `orgId` and `version` "1"; mapped the same way with Grafana's extra links and the
/// `grafana_state_reason` annotation kept as a label. The top-level `title` is the group's, so it is not used.
public struct GrafanaDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .grafana }
    public var detectionRank: Int? { 7 }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["alerts"]?.array != nil && object["groupKey"] != nil
            && (object["orgId"] != nil || object["version"]?.string == "1")
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let reader = PrometheusStyleAlerts(
            source: "grafana",
            keyPrefix: "grafana:",
            extraLinks: [
                ("dashboardURL", "dashboard"), ("panelURL", "panel"), ("silenceURL", "silence"), ("imageURL", "image"),
            ]
        )
        return try reader.decode(object, context: context)
    }
}

/// Grafana legacy dashboard alerting (before Grafana 8; INPUT-FORMATS.md §2.3).
public struct GrafanaLegacyDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .grafanaLegacy }
    public var detectionRank: Int? { 9 }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["ruleId"] != nil && object["ruleName"] != nil && object["state"] != nil
            && (object["evalMatches"] != nil || object["ruleUrl"] != nil || object["rule_url"] != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let ruleID = object.text("ruleId"), let name = object.text("ruleName") else {
            throw Rejection(.invalidPayload, "grafana-legacy: ruleId and ruleName are required")
        }
        var labels = LabelBuilder()
        labels.flatten(object["tags"], prefix: "")
        for (position, match) in (object.array("evalMatches") ?? []).prefix(50).enumerated() {
            let metric = match["metric"]?.scalarText ?? "match\(position)"
            labels.set("eval.\(metric)", match["value"]?.scalarText)
        }
        labels.set("grafana_state", object.text("state"))
        var all = labels.labels
        var severity = context.severity(all["severity"], labels: &all)
        let status: AlertStatus
        switch object.text("state")?.lowercased() {
        case "alerting": status = .firing
        case "ok": status = .resolved
        case "no_data":
            status = .firing
            if all["severity"] == nil { severity = .low }
        default:
            return []  // paused, pending, unknown: no change (INPUT-FORMATS.md §2.3)
        }
        var links: [NormalizedEvent.Link] = []
        if let rule = object.text("ruleUrl", "rule_url") { links.append(.init(href: rule, text: "rule")) }
        if let image = object.text("imageUrl", "image_url") { links.append(.init(href: image, text: "image")) }
        let organization = object.text("orgId") ?? "0"
        return [
            NormalizedEvent(
                source: "grafana-legacy",
                dedupKey: "grafana-legacy:\(organization):\(ruleID)",
                status: status,
                severity: severity,
                title: name,
                description: object.text("message") ?? "",
                labels: all,
                links: links,
                occurredAt: context.receivedAt,
                resolvedAt: status == .resolved ? context.receivedAt : nil
            )
        ]
    }
}

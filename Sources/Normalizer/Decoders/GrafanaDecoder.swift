/// Grafana unified alerting webhook (Grafana 8 and later;
/// https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/).
///
/// The Alertmanager shape with `orgId` and `version` "1"; mapped the same way with Grafana's extra links and the
/// `grafana_state_reason` annotation kept as a label. The top-level `title` is the group's, so it is not used: an
/// alert's title is its rule's name (`alertname`) with its summary. A contact point test notification is refused as
/// `not_an_alert`.
public struct GrafanaDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .grafana }
    public var detectionRank: Int? { 9 }
    public var detectionRule: String { "`alerts[]` + `groupKey` + (`orgId` or `version` \"1\")" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["alerts"]?.array != nil && object["groupKey"] != nil
            && (object["orgId"] != nil || object["version"]?.string == "1")
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let alerts = object.array("alerts") ?? []
        if !alerts.isEmpty, alerts.allSatisfy(Self.isTestAlert) {
            throw Rejection(.notAnAlert, "grafana: a contact point test notification (TestAlert from Grafana)")
        }
        let reader = PrometheusStyleAlerts(
            source: "grafana",
            keyPrefix: "grafana:",
            extraLinks: [
                ("dashboardURL", "dashboard"), ("panelURL", "panel"), ("silenceURL", "silence"), ("imageURL", "image"),
            ]
        )
        return try reader.decode(object, context: context)
    }

    /// The alert Grafana sends when someone presses "Test" on a contact point: `alertname` TestAlert, `instance`
    /// Grafana, summary "Notification test" (Grafana 8 and later).
    static func isTestAlert(_ alert: JSONValue) -> Bool {
        alert["labels"]?["alertname"]?.string == "TestAlert" && alert["labels"]?["instance"]?.string == "Grafana"
            && alert["annotations"]?["summary"]?.string == "Notification test"
    }
}

/// Grafana legacy dashboard alerting (before Grafana 8, removed in 11): a flat object with `ruleId`, `ruleName`,
/// `state`, `evalMatches` (https://grafana.com/docs/grafana/v7.5/alerting/notifications/#webhook).
///
/// Payloads that repeat a member name are read with the last value winning, as most parsers read them. The test
/// notification ("Someone is testing the alert notification within Grafana.") is refused as `not_an_alert`.
public struct GrafanaLegacyDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var acceptsRepeatedKeys: Bool { true }

    public var format: SourceFormat { .grafanaLegacy }
    public var detectionRank: Int? { 11 }
    public var detectionRule: String { "`ruleId` + `ruleName` + `state` + (`evalMatches` or `ruleUrl`)" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["ruleId"] != nil && object["ruleName"] != nil && object["state"] != nil
            && (object["evalMatches"] != nil || object["ruleUrl"] != nil || object["rule_url"] != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let ruleID = object.text("ruleId"), let name = object.text("ruleName") else {
            throw Rejection(.invalidPayload, "grafana-legacy: ruleId and ruleName are required")
        }
        if object.text("message")?.lowercased().hasPrefix("someone is testing the alert notification") == true {
            throw Rejection(.notAnAlert, "grafana-legacy: a notification channel test (\"Someone is testing …\")")
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
            return []  // paused, pending, unknown: no change
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

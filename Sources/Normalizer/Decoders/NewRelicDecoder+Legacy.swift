/// New Relic's legacy alert-policy webhook (Alerts before workflows): `current_state` (`open`, `acknowledged`,
/// `closed`), `incident_id`, `condition_name`, `policy_name`, `severity`, `details`, `targets[]`, `timestamp` in epoch
/// milliseconds (https://docs.newrelic.com/docs/alerts/classic-alerts/customize-your-webhook-payload/).
extension NewRelicDecoder {
    func decodeLegacy(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let id = object.text("incident_id") ?? object.text("incident_url") else {
            throw Rejection(.invalidPayload, "newrelic (legacy): incident_id is required")
        }
        let status: AlertStatus
        switch object.text("current_state")?.lowercased() {
        case "open": status = .firing
        case "acknowledged": status = .acknowledged
        case "closed": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "newrelic (legacy): current_state is \(other ?? "missing"), expected open, acknowledged or closed"
            )
        }
        let targets = (object.array("targets") ?? []).compactMap(\.object)
        let target = targets.first?.text("name")
        var labels = LabelBuilder()
        labels.set("policy", object.text("policy_name"))
        labels.set("condition", object.text("condition_name"))
        labels.set("account", object.text("account_name"))
        labels.set("account_id", object.text("account_id"))
        labels.set("owner", object.text("owner"))
        labels.set("event_type", object.text("event_type"))
        labels.set("nr_state", object.text("current_state")?.lowercased())
        let names = targets.compactMap { $0.text("name") }
        if !names.isEmpty { labels.set("targets", names.joined(separator: ",")) }
        labels.set("target_type", targets.first?.text("type"))
        labels.flatten(targets.first?["labels"], prefix: "target", depth: 1)
        var all = labels.labels
        let severity: Severity
        switch object.text("severity")?.uppercased() {
        case "CRITICAL": severity = .critical
        case "WARNING": severity = .medium
        case "INFO": severity = .info
        case let word: severity = context.severity(word, labels: &all)
        }
        let condition = object.text("condition_name") ?? "New Relic incident \(id)"
        var links: [NormalizedEvent.Link] = []
        for (field, text) in [
            ("incident_url", "incident"), ("incident_acknowledge_url", "acknowledge"), ("runbook_url", "runbook"),
            ("violation_chart_url", "chart"),
        ] {
            if let url = object.text(field) { links.append(.init(href: url, text: text)) }
        }
        let time = Timestamp(flexible: object["timestamp"]) ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "newrelic",
                dedupKey: "nr:incident:" + id,
                status: status,
                severity: severity,
                title: target.map { "\(condition) on \($0)" } ?? condition,
                description: object.text("details") ?? "",
                labels: all,
                links: links,
                occurredAt: time,
                resolvedAt: status == .resolved ? time : nil
            )
        ]
    }
}

/// The Azure alert shapes older than the common schema, which share one body: `status` and `context{id, name,
/// severity, timestamp, condition, resourceId, portalLink, …}`.
///
/// - Metric alerts' own schema (`schemaId` "AzureMonitorMetricAlert", `data.version` "2.0"): `status` `Activated` or
///   `Deactivated` (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-metric-near-real-time).
/// - Classic alerts ("Monitor alerts (classic)", no `schemaId`): `status` `Activated` or `Resolved`, `context`,
///   `properties` (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-webhooks).
extension AzureMonitorDecoder {
    /// Whether `object` is a classic alert: `status` Activated, Resolved or Deactivated, and `context.id` and
    /// `context.name`.
    static func isClassic(_ object: JSONObject) -> Bool {
        guard let status = object["status"]?.string,
            ["activated", "resolved", "deactivated"].contains(status.lowercased())
        else { return false }
        return object["context"]?["id"] != nil && object["context"]?["name"] != nil
    }

    /// Decodes the `status` + `context` body (`data` of a metric alert, or a classic alert itself).
    func decodeContextShape(
        _ body: JSONObject,
        schema: String,
        context: DecodeContext
    ) throws(Rejection) -> [NormalizedEvent] {
        guard let alert = body.object("context"), let id = alert.text("id") else {
            throw Rejection(.invalidPayload, "azure-monitor (\(schema)): context.id is required")
        }
        let status: AlertStatus
        switch body.text("status")?.lowercased() {
        case "activated": status = .firing
        case "resolved", "deactivated": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "azure-monitor (\(schema)): status is \(other ?? "missing"), expected Activated, Resolved or Deactivated"
            )
        }
        var labels = LabelBuilder()
        labels.set("azure_schema", schema)
        labels.set("resourceId", alert.text("resourceId"))
        labels.set("resourceGroupName", alert.text("resourceGroupName"))
        labels.set("resourceType", alert.text("resourceType"))
        labels.set("resourceRegion", alert.text("resourceRegion"))
        labels.set("conditionType", alert.text("conditionType"))
        labels.flatten(body["properties"], prefix: "custom", depth: 1)
        var all = labels.labels
        let word = alert.text("severity").map { "sev\($0)" }
        let severity = word.flatMap { Self.severities[$0] } ?? context.severity(nil, labels: &all)
        let time = alert.text("timestamp").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        var links: [NormalizedEvent.Link] = []
        if let portal = alert.text("portalLink") { links.append(.init(href: portal, text: "portal")) }
        let name = alert.text("name") ?? "Azure alert"
        return [
            NormalizedEvent(
                source: "azure-monitor",
                dedupKey: "azure:" + id,
                status: status,
                severity: severity,
                title: alert.text("resourceName").map { "\(name) on \($0)" } ?? name,
                description: [alert.text("description"), Self.conditionSummary(alert["condition"])].compactMap {
                    $0
                }.joined(separator: "\n\n"),
                labels: all,
                links: links,
                occurredAt: time,
                resolvedAt: status == .resolved ? time : nil
            )
        ]
    }

    /// `Requests GreaterThanOrEqual 10 (value 10)`: a classic condition, or each of a metric alert's `allOf`.
    static func conditionSummary(_ condition: JSONValue?) -> String? {
        guard let condition else { return nil }
        let criteria = condition["allOf"]?.array ?? [condition]
        let lines = criteria.prefix(10).compactMap { criterion -> String? in
            guard let metric = criterion["metricName"]?.scalarText else { return nil }
            let parts = [
                metric, criterion["operator"]?.scalarText, criterion["threshold"]?.scalarText,
                criterion["metricValue"]?.scalarText.map { "(value \($0))" },
            ]
            return parts.compactMap { $0 }.joined(separator: " ")
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }
}

/// Azure Monitor common alert schema, and the legacy metric-alert schema (INPUT-FORMATS.md §5).
public struct AzureMonitorDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .azureMonitor }
    public var detectionRank: Int? { 4 }

    public func recognizes(_ object: JSONObject) -> Bool {
        guard let schema = object["schemaId"]?.string else { return false }
        if schema == "AzureMonitorMetricAlert" { return object["data"]?["context"]?.object != nil }
        return object["data"]?["essentials"]?.object != nil
    }

    static let severities: [String: Severity] = [
        "sev0": .critical, "sev1": .high, "sev2": .medium, "sev3": .low, "sev4": .info,
    ]

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        if object.text("schemaId") == "AzureMonitorMetricAlert" { return try decodeLegacy(object, context: context) }
        guard let essentials = object["data"]?["essentials"]?.object else {
            throw Rejection(.invalidPayload, "azure-monitor: data.essentials is required")
        }
        guard let alertID = essentials.text("alertId") else {
            throw Rejection(.invalidPayload, "azure-monitor: data.essentials.alertId is required")
        }
        let status: AlertStatus
        switch essentials.text("monitorCondition")?.lowercased() {
        case "fired": status = .firing
        case "resolved": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "azure-monitor: monitorCondition is \(other ?? "missing"), expected Fired or Resolved"
            )
        }
        var labels = LabelBuilder()
        for key in [
            "signalType", "monitoringService", "targetResourceGroup", "targetResourceType", "alertRuleID",
            "alertRuleId", "originAlertId",
        ] {
            labels.set(key, essentials.text(key))
        }
        labels.flatten(essentials["alertTargetIDs"], prefix: "alertTargetIDs")
        labels.flatten(essentials["configurationItems"], prefix: "configurationItems")
        labels.flatten(object["data"]?["customProperties"], prefix: "custom", depth: 1)
        let alertContext = object["data"]?["alertContext"]?.object
        labels.set("condition_type", alertContext?.text("conditionType"))
        var all = labels.labels
        let word = essentials.text("severity")?.lowercased()
        let severity = word.flatMap { Self.severities[$0] } ?? context.severity(word, labels: &all)

        var title = essentials.text("alertRule") ?? "Azure alert"
        if let item = essentials.array("configurationItems")?.first?.scalarText { title += " on \(item)" }
        var description = essentials.text("description") ?? ""
        let conditions = (alertContext?["condition"]?["allOf"]?.array ?? []).prefix(10).compactMap {
            condition -> String? in
            guard let metric = condition["metricName"]?.scalarText else { return nil }
            let parts = [
                metric, condition["operator"]?.scalarText, condition["threshold"]?.scalarText,
                condition["metricValue"]?.scalarText.map { "(value \($0))" },
            ]
            return parts.compactMap { $0 }.joined(separator: " ")
        }
        if !conditions.isEmpty {
            description +=
                (description.isEmpty ? "" : "\n\n") + "Conditions:\n"
                + conditions.map { "- \($0)" }.joined(separator: "\n")
        }
        var links: [NormalizedEvent.Link] = []
        if let investigation = essentials.text("investigationLink") {
            links.append(.init(href: investigation, text: "investigation"))
        }
        if let search = alertContext?.text(
            "LinkToSearchResultsUI",
            "LinkToFilteredSearchResultsUI",
            "linkToSearchResultsUI"
        ) {
            links.append(.init(href: search, text: "search results"))
        }
        if let target = essentials.array("alertTargetIDs")?.first?.string {
            links.append(.init(href: "https://portal.azure.com/#resource" + target, text: "resource"))
        }
        let fired = essentials.text("firedDateTime").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        let resolved = essentials.text("resolvedDateTime").flatMap(Timestamp.init(rfc3339:))
        return [
            NormalizedEvent(
                source: "azure-monitor",
                dedupKey: "azure:" + alertID,
                status: status,
                severity: severity,
                title: title,
                description: description,
                labels: all,
                links: links,
                occurredAt: fired,
                resolvedAt: status == .resolved ? (resolved ?? context.receivedAt) : nil
            )
        ]
    }

    private func decodeLegacy(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let data = object.object("data"), let alert = data.object("context"), let id = alert.text("id") else {
            throw Rejection(.invalidPayload, "azure-monitor (legacy): data.context.id is required")
        }
        let status: AlertStatus
        switch data.text("status")?.lowercased() {
        case "activated": status = .firing
        case "resolved": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "azure-monitor (legacy): status is \(other ?? "missing"), expected Activated or Resolved"
            )
        }
        var labels = LabelBuilder()
        labels.set("resourceId", alert.text("resourceId"))
        labels.set("resourceGroupName", alert.text("resourceGroupName"))
        labels.set("conditionType", alert.text("conditionType"))
        var all = labels.labels
        let word = alert.text("severity").map { "sev\($0)" }
        let severity = word.flatMap { Self.severities[$0] } ?? context.severity(nil, labels: &all)
        let time = alert.text("timestamp").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        var links: [NormalizedEvent.Link] = []
        if let portal = alert.text("portalLink") { links.append(.init(href: portal, text: "portal")) }
        return [
            NormalizedEvent(
                source: "azure-monitor",
                dedupKey: "azure:" + id,
                status: status,
                severity: severity,
                title: alert.text("name") ?? "Azure alert",
                description: alert.text("description") ?? "",
                labels: all,
                links: links,
                occurredAt: time,
                resolvedAt: status == .resolved ? time : nil
            )
        ]
    }
}

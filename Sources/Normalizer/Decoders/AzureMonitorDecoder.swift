/// Azure Monitor alerts: the common alert schema
/// (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema), and the older shapes in
/// `AzureMonitorDecoder+Classic.swift` (metric alerts' own schema, classic alerts).
public struct AzureMonitorDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .azureMonitor }
    public var detectionRank: Int? { 5 }
    public var detectionRule: String {
        "`schemaId` + `data.essentials` (common schema), `schemaId` \"AzureMonitorMetricAlert\" + `data.context`, or `status` Activated, Resolved or Deactivated + `context.id` + `context.name` (classic)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        guard let schema = object["schemaId"]?.string else { return Self.isClassic(object) }
        if schema == "AzureMonitorMetricAlert" { return object["data"]?["context"]?.object != nil }
        return object["data"]?["essentials"]?.object != nil
    }

    static let severities: [String: Severity] = [
        "sev0": .critical, "sev1": .high, "sev2": .medium, "sev3": .low, "sev4": .info,
    ]

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        if object.text("schemaId") == "AzureMonitorMetricAlert" {
            guard let data = object.object("data") else {
                throw Rejection(.invalidPayload, "azure-monitor (metric alert): data is required")
            }
            return try decodeContextShape(data, schema: "metric alert", context: context)
        }
        if object["schemaId"] == nil { return try decodeContextShape(object, schema: "classic", context: context) }
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
}

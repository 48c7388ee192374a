/// Google Cloud Monitoring (formerly Stackdriver) webhooks, schema versions 1.2 and 1.1
/// (https://cloud.google.com/monitoring/support/notification-options#webhooks). Version 1.1 lacks `resource`,
/// `metric`, `scoping_project_id` and the user labels; the rest reads the same. Test notifications (`version`
/// "test") are refused as `not_an_alert`.
public struct GoogleCloudMonitoringDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .gcpMonitoring }
    public var detectionRank: Int? { 6 }
    public var detectionRule: String { "`incident.incident_id` + `version`" }

    /// The schema versions read; others (`test`) are not alerts.
    static let versions: Set<String> = ["1.1", "1.2"]

    public func recognizes(_ object: JSONObject) -> Bool {
        object["incident"]?["incident_id"] != nil && object["version"] != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let version = object.text("version"), Self.versions.contains(version) else {
            throw Rejection(
                .notAnAlert,
                "gcp-monitoring: version \(object.text("version") ?? "?") is a test or unknown payload"
            )
        }
        guard let incident = object.object("incident"), let id = incident.text("incident_id") else {
            throw Rejection(.invalidPayload, "gcp-monitoring: incident.incident_id is required")
        }
        let status: AlertStatus
        switch incident.text("state")?.lowercased() {
        case "open": status = .firing
        case "closed": status = .resolved
        case let other:
            throw Rejection(.invalidPayload, "gcp-monitoring: state is \(other ?? "missing"), expected open or closed")
        }
        var labels = LabelBuilder()
        labels.set("project", incident.text("scoping_project_id"))
        labels.set(
            "resource_type",
            incident["resource"]?["type"]?.scalarText ?? incident.text("resource_type_display_name")
        )
        labels.set("metric", incident["metric"]?["type"]?.scalarText)
        labels.set("condition", incident.text("condition_name"))
        labels.set("schema_version", version)
        labels.set("resource_id", incident.text("resource_id"))
        labels.set("observed_value", incident.text("observed_value"))
        labels.set("threshold_value", incident.text("threshold_value"))
        labels.flatten(incident["resource"]?["labels"], prefix: "resource", depth: 1)
        labels.flatten(incident["metric"]?["labels"], prefix: "metric", depth: 1)
        labels.flatten(incident["metadata"]?["user_labels"], prefix: "user", depth: 1)
        labels.flatten(incident["policy_user_labels"], prefix: "policy", depth: 1)
        var all = labels.labels
        let severity: Severity
        switch incident.text("severity")?.lowercased() {
        case "critical": severity = .critical
        case "error": severity = .high
        case "warning": severity = .medium
        case let word: severity = context.severity(word == "no severity" ? nil : word, labels: &all)
        }
        let documentation = incident.object("documentation")
        let policy = incident.text("policy_name")
        let resource = incident.text("resource_display_name", "resource_name")
        let title =
            [policy, resource].compactMap { $0 }.joined(separator: " on ").nonEmpty ?? documentation?.text("subject")
            ?? "Google Cloud incident \(id)"
        let content = documentation?.text("content") ?? incident["documentation"]?.string?.nonEmpty
        let description = [incident.text("summary"), content].compactMap { $0 }.joined(
            separator: "\n\n"
        )
        var links: [NormalizedEvent.Link] = []
        if let url = incident.text("url") { links.append(.init(href: url, text: "incident")) }
        for link in (documentation?.array("links") ?? []).prefix(10) {
            if let url = link["url"]?.string {
                links.append(.init(href: url, text: link["displayName"]?.string ?? "documentation"))
            }
        }
        let started = incident["started_at"].flatMap { Timestamp(epoch: $0) } ?? context.receivedAt
        let ended = incident["ended_at"].flatMap { Timestamp(epoch: $0) }
        return [
            NormalizedEvent(
                source: "gcp-monitoring",
                dedupKey: "gcp:" + id,
                status: status,
                severity: severity,
                title: title,
                description: description,
                labels: all,
                links: links,
                occurredAt: started,
                resolvedAt: status == .resolved ? (ended ?? context.receivedAt) : nil
            )
        ]
    }
}

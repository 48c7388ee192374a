/// Sentry integration-platform webhooks (`event_alert`, `metric_alert`, `issue`) and the legacy WebHooks plugin
/// (https://docs.sentry.io/organization/integrations/integration-platform/webhooks/).
public struct SentryDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .sentry }
    public var detectionRank: Int? { 13 }
    public var detectionRule: String {
        "`action` + `data` + `installation` (integration platform), or `triggering_rules` + `project_slug` (legacy plugin)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        (object["action"] != nil && object["data"]?.object != nil && object["installation"] != nil)
            || (object["triggering_rules"] != nil && object["project_slug"] != nil)
    }

    static func severity(_ level: String?) -> Severity? {
        switch level?.lowercased() {
        case "fatal": .critical
        case "error": .high
        case "warning": .medium
        case "info", "debug": .info
        default: nil
        }
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        if object["triggering_rules"] != nil { return try decodeLegacy(object, context: context) }
        guard let data = object.object("data"), let action = object.text("action")?.lowercased() else {
            throw Rejection(.invalidPayload, "sentry: action and data are required")
        }
        let resource =
            context.input.header("Sentry-Hook-Resource")
            ?? (data["metric_alert"] != nil
                ? "metric_alert" : data["event"] != nil ? "event_alert" : data["issue"] != nil ? "issue" : "")
        var labels = LabelBuilder()
        labels.set("sentry_resource", resource)
        switch resource {
        case "event_alert":
            guard let event = data.object("event"), let issue = event.text("issue_id") else {
                throw Rejection(.invalidPayload, "sentry: event_alert needs data.event.issue_id")
            }
            // Tags arrive as [key, value] pairs, not as an object.
            for pair in (event.array("tags") ?? []).prefix(100) {
                if let items = pair.array, items.count == 2, let key = items[0].scalarText {
                    labels.set("tag.\(key)", items[1].scalarText)
                }
            }
            labels.set("project", event.text("project"))
            labels.set("culprit", event.text("culprit"))
            var all = labels.labels
            let severity = Self.severity(event.text("level")) ?? context.severity(event.text("level"), labels: &all)
            var links: [NormalizedEvent.Link] = []
            if let web = event.text("web_url") { links.append(.init(href: web, text: "event")) }
            if let issueURL = event.text("issue_url") { links.append(.init(href: issueURL, text: "issue")) }
            let description = [data.text("triggered_rule").map { "Rule: \($0)" }, event.text("culprit")].compactMap {
                $0
            }
            .joined(separator: "\n")
            let time =
                Timestamp(flexible: event["datetime"]) ?? Timestamp(flexible: event["timestamp"]) ?? context.receivedAt
            return [
                NormalizedEvent(
                    source: "sentry",
                    dedupKey: "sentry:issue:" + issue,
                    status: .firing,
                    severity: severity,
                    title: event.text("title", "message") ?? "Sentry issue \(issue)",
                    description: description,
                    labels: all,
                    links: links,
                    occurredAt: time
                )
            ]
        case "metric_alert":
            guard let alert = data.object("metric_alert"), let id = alert.text("id") else {
                throw Rejection(.invalidPayload, "sentry: metric_alert needs data.metric_alert.id")
            }
            let status: AlertStatus
            let severity: Severity
            switch action {
            case "critical": (status, severity) = (.firing, .critical)
            case "warning": (status, severity) = (.firing, .medium)
            case "resolved": (status, severity) = (.resolved, context.options.defaultSeverity)
            default:
                throw Rejection(
                    .invalidPayload,
                    "sentry: metric_alert action \(action) is not critical, warning or resolved"
                )
            }
            var links: [NormalizedEvent.Link] = []
            if let web = data.text("web_url") { links.append(.init(href: web, text: "alert")) }
            let started = Timestamp(flexible: alert["date_started"]) ?? context.receivedAt
            let closed = Timestamp(flexible: alert["date_closed"])
            return [
                NormalizedEvent(
                    source: "sentry",
                    dedupKey: "sentry:metric:" + id,
                    status: status,
                    severity: severity,
                    title: data.text("description_title") ?? alert.text("title") ?? "Sentry metric alert \(id)",
                    description: data.text("description_text") ?? "",
                    labels: labels.labels,
                    links: links,
                    occurredAt: started,
                    resolvedAt: status == .resolved ? (closed ?? context.receivedAt) : nil
                )
            ]
        case "issue":
            guard let issue = data.object("issue"), let id = issue.text("id") else {
                throw Rejection(.invalidPayload, "sentry: issue needs data.issue.id")
            }
            let status: AlertStatus
            switch action {
            case "created", "unresolved": status = .firing
            case "resolved": status = .resolved
            default: return []  // assigned, archived, ignored: no change of the problem
            }
            labels.set("project", issue["project"]?["slug"]?.scalarText)
            labels.set("culprit", issue.text("culprit"))
            var all = labels.labels
            let severity = Self.severity(issue.text("level")) ?? context.severity(issue.text("level"), labels: &all)
            var links: [NormalizedEvent.Link] = []
            if let web = issue.text("web_url", "permalink") { links.append(.init(href: web, text: "issue")) }
            let time =
                Timestamp(flexible: issue["lastSeen"]) ?? Timestamp(flexible: issue["firstSeen"]) ?? context.receivedAt
            return [
                NormalizedEvent(
                    source: "sentry",
                    dedupKey: "sentry:issue:" + id,
                    status: status,
                    severity: severity,
                    title: issue.text("title") ?? "Sentry issue \(id)",
                    description: issue.text("culprit") ?? "",
                    labels: all,
                    links: links,
                    occurredAt: time,
                    resolvedAt: status == .resolved ? context.receivedAt : nil
                )
            ]
        default:
            throw Rejection(.notAnAlert, "sentry: resource \"\(resource)\" is not an alert")
        }
    }

    private func decodeLegacy(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let id = object.text("id") else { throw Rejection(.invalidPayload, "sentry (legacy): id is required") }
        var labels = LabelBuilder()
        labels.set("project", object.text("project_slug", "project"))
        labels.set("culprit", object.text("culprit"))
        labels.set("logger", object.text("logger"))
        labels.flatten(object["triggering_rules"], prefix: "triggering_rules")
        var all = labels.labels
        let severity = Self.severity(object.text("level")) ?? context.severity(object.text("level"), labels: &all)
        var links: [NormalizedEvent.Link] = []
        if let url = object.text("url") { links.append(.init(href: url, text: "issue")) }
        return [
            NormalizedEvent(
                source: "sentry",
                dedupKey: "sentry:issue:" + id,
                status: .firing,
                severity: severity,
                title: object.text("message") ?? object["event"]?["title"]?.string ?? "Sentry issue \(id)",
                description: object.text("culprit") ?? "",
                labels: all,
                links: links,
                occurredAt: context.receivedAt
            )
        ]
    }
}

/// New Relic workflow webhook with the default template, or our template that adds `isAcknowledged`
/// (INPUT-FORMATS.md §11).
public struct NewRelicDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .newrelic }
    public var detectionRank: Int? { 12 }

    public func recognizes(_ object: JSONObject) -> Bool {
        (object["issueUrl"] != nil || object["issuePageUrl"] != nil) && object["priority"] != nil
            && object["state"] != nil
            && (object["trigger"] != nil || object["triggerEvent"] != nil)
    }

    /// The first element when a field is a list (one entry per aggregated incident), else the value.
    static func first(_ value: JSONValue?) -> String? {
        if let array = value?.array { return array.first?.scalarText?.nonEmpty }
        return value?.scalarText?.nonEmpty
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let id = object.text("issueId", "id") else {
            throw Rejection(.invalidPayload, "newrelic: issueId (or id) is required")
        }
        let acknowledged = object["isAcknowledged"]?.scalarText?.lowercased() == "true"
        let status: AlertStatus
        switch object.text("state")?.uppercased() {
        case "CREATED": return []  // an ACTIVATED follows
        case "ACTIVATED": status = acknowledged ? .acknowledged : .firing
        case "CLOSED": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "newrelic: state is \(other ?? "missing"), expected CREATED, ACTIVATED or CLOSED"
            )
        }
        var labels = LabelBuilder()
        labels.set("trigger", object.text("triggerEvent", "trigger"))
        labels.flatten(object["alertPolicyNames"], prefix: "policies")
        labels.flatten(object["alertConditionNames"], prefix: "conditions")
        labels.set("workflow", object.text("workflowName"))
        labels.flatten(object["sources"], prefix: "sources")
        labels.set("total_incidents", object.text("totalIncidents"))
        labels.flatten(object["impactedEntities"], prefix: "entities")
        var all = labels.labels
        let severity: Severity
        switch object.text("priority")?.uppercased() {
        case "CRITICAL": severity = .critical
        case "HIGH": severity = .high
        case "MEDIUM": severity = .medium
        case "LOW": severity = .low
        case let word: severity = context.severity(word, labels: &all)
        }
        let annotations = object.object("annotations")
        let title = Self.first(annotations?["title"]) ?? object.text("issueTitle", "title") ?? "New Relic issue \(id)"
        let description = Self.first(annotations?["description"]) ?? ""
        var links: [NormalizedEvent.Link] = []
        if let page = object.text("issuePageUrl", "issueUrl") { links.append(.init(href: page, text: "issue")) }
        if let ack = object.text("issueAckUrl") { links.append(.init(href: ack, text: "acknowledge")) }
        if let runbook = Self.first(object["accumulations"]?["runbookUrl"]) {
            links.append(.init(href: runbook, text: "runbook"))
        }
        if let chart = Self.first(object["violationChartUrl"]) { links.append(.init(href: chart, text: "chart")) }
        let created = Timestamp(flexible: object["createdAt"]) ?? context.receivedAt
        let updated = Timestamp(flexible: object["updatedAt"]) ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "newrelic",
                dedupKey: "nr:" + id,
                status: status,
                severity: severity,
                title: title,
                description: description,
                labels: all,
                links: links,
                occurredAt: created,
                resolvedAt: status == .resolved ? updated : nil
            )
        ]
    }
}

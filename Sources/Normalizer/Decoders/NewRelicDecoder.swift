/// New Relic webhooks: the workflow webhook with the default template or ours, which adds `isAcknowledged`
/// (https://docs.newrelic.com/docs/alerts/get-notified/custom-variables-incident-workflows/), and the legacy
/// alert-policy webhook (`current_state`, `incident_id`; `NewRelicDecoder+Legacy.swift`).
///
/// Issue states: `CREATED` and `ACTIVATED` fire (a workflow may notify on creation only, so the first is not left
/// to a later `ACTIVATED`), `CLOSED` resolves; an issue with `isAcknowledged` true, or the state `acknowledged` some
/// templates send, is acknowledged.
public struct NewRelicDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .newrelic }
    public var detectionRank: Int? { 14 }
    public var detectionRule: String {
        "`state` + (`issueUrl` or `issuePageUrl`) (workflow webhook), or `current_state` + (`incident_id` or `incident_url`) (legacy webhook)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        (object["state"] != nil && (object["issueUrl"] != nil || object["issuePageUrl"] != nil))
            || (object["current_state"] != nil && (object["incident_id"] != nil || object["incident_url"] != nil))
    }

    /// The first element when a field is a list (one entry per aggregated incident), else the value.
    static func first(_ value: JSONValue?) -> String? {
        if let array = value?.array { return array.first?.scalarText?.nonEmpty }
        return value?.scalarText?.nonEmpty
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        if object["current_state"] != nil { return try decodeLegacy(object, context: context) }
        guard let id = object.text("issueId", "id") else {
            throw Rejection(.invalidPayload, "newrelic: issueId (or id) is required")
        }
        let acknowledged = object["isAcknowledged"]?.scalarText?.lowercased() == "true"
        let status: AlertStatus
        switch object.text("state")?.uppercased() {
        case "CREATED", "ACTIVATED", "ACTIVE", "OPEN": status = acknowledged ? .acknowledged : .firing
        case "ACKNOWLEDGED": status = .acknowledged
        case "CLOSED", "RESOLVED": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "newrelic: state is \(other ?? "missing"), expected CREATED, ACTIVATED, ACKNOWLEDGED or CLOSED"
            )
        }
        var labels = LabelBuilder()
        labels.set("trigger", object.text("triggerEvent", "trigger"))
        labels.set("nr_state", object.text("state")?.lowercased())
        labels.set("owner", object.text("owner"))
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
        let title =
            Self.first(annotations?["title"]) ?? object.text("issueTitle", "title", "condition_name")
            ?? "New Relic issue \(id)"
        let description = Self.first(annotations?["description"]) ?? object.text("details") ?? ""
        var links: [NormalizedEvent.Link] = []
        if let page = object.text("issuePageUrl", "issueUrl") { links.append(.init(href: page, text: "issue")) }
        if let ack = object.text("issueAckUrl", "incident_acknowledge_url") {
            links.append(.init(href: ack, text: "acknowledge"))
        }
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

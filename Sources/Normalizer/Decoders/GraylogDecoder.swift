/// Graylog HTTP notifications: event notifications (Graylog 3.1 and later: `event_definition_id`, `event{…}`,
/// `backlog`) and the stream alert callbacks of Graylog 2 (`check_result`, `stream`).
///
/// An event definition, per group-by key (`event.key`), is one problem. Graylog sends no resolve, so every
/// notification fires. A notification sent by the "Test notification" button is refused as `not_an_alert`.
public struct GraylogDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .graylog }
    public var detectionRank: Int? { 16 }
    public var detectionRule: String {
        "`event_definition_id` + `event` (an object), or `check_result` + `stream` (Graylog 2 stream alerts)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        (object["event_definition_id"] != nil && object["event"]?.object != nil)
            || (object["check_result"]?.object != nil && object["stream"]?.object != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let event = object.object("event") else { return try decodeStreamAlert(object, context: context) }
        guard let definition = object.text("event_definition_id") else {
            throw Rejection(.invalidPayload, "graylog: event_definition_id is required")
        }
        if object.text("event_definition_type") == "test-dummy-v1"
            || event.text("event_definition_type") == "notification-test-v1"
        {
            throw Rejection(.notAnAlert, "graylog: a test notification (event definition type test-dummy-v1)")
        }
        var labels = LabelBuilder()
        labels.set("event_definition_type", object.text("event_definition_type"))
        labels.set("event_source", event.text("source"))
        labels.flatten(event["streams"], prefix: "streams")
        labels.flatten(event["fields"], prefix: "field", depth: 1)
        labels.flatten(event["group_by_fields"], prefix: "group", depth: 1)
        var all = labels.labels
        let severity: Severity
        switch event.text("priority") {
        case "1": severity = .low
        case "2": severity = .medium
        case "3": severity = .high
        case "4": severity = .critical
        case let word: severity = context.severity(word, labels: &all)
        }
        let key = event.text("key").map { "graylog:\(definition):\($0)" } ?? "graylog:\(definition)"
        let message = event.text("message")
        let description = [message, object.text("event_definition_description")].compactMap { $0 }
        return [
            NormalizedEvent(
                source: "graylog",
                dedupKey: key,
                status: .firing,
                severity: severity,
                title: object.text("event_definition_title") ?? message ?? "Graylog event \(definition)",
                description: description.joined(separator: "\n\n"),
                labels: all,
                links: [],
                occurredAt: event.text("timestamp").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
            )
        ]
    }

    /// Graylog 2's stream alert callback: the stream and the alert condition that triggered.
    private func decodeStreamAlert(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent]
    {
        guard let result = object.object("check_result"), let stream = object.object("stream"),
            let streamID = stream.text("id")
        else {
            throw Rejection(.invalidPayload, "graylog: check_result and stream.id are required")
        }
        let condition = result.object("triggered_condition")
        var labels = LabelBuilder()
        labels.set("stream", stream.text("title"))
        labels.set("condition_type", condition?.text("type"))
        labels.set("condition", condition?.text("description"))
        labels.flatten(condition?["parameters"], prefix: "condition", depth: 1)
        var all = labels.labels
        let severity = context.severity(nil, labels: &all)
        let conditionName = condition?.text("title", "type_string", "type")
        let streamName = stream.text("title") ?? streamID
        var links: [NormalizedEvent.Link] = []
        if let url = object.text("stream_url") { links.append(.init(href: url, text: "stream")) }
        return [
            NormalizedEvent(
                source: "graylog",
                dedupKey: "graylog:stream:\(streamID):\(condition?.text("id") ?? "")",
                status: .firing,
                severity: severity,
                title: conditionName.map { "\(streamName): \($0)" } ?? streamName,
                description: result.text("result_description") ?? "",
                labels: all,
                links: links,
                occurredAt: result.text("triggered_at").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
            )
        ]
    }
}

public import Normalizer

/// Builds Events API v2 events from incident commands. Pure: no I/O, no clock.
///
/// The dedup key is the alert's identity: a create and an update are `trigger`s with it (PagerDuty appends a trigger
/// for an open alert to that alert's log rather than opening another), an acknowledged alert is an `acknowledge`, a
/// resolve a `resolve`. A reply has no event: the Events API cannot add a note.
public struct PagerDutyRequestBuilder: Sendable {
    /// `payload.severity`'s values.
    public static let severities = ["critical", "error", "warning", "info"]
    /// `payload.summary` is cut to 1,024 characters by PagerDuty's limit.
    public static let summaryLength = 1024
    /// `dedup_key` may have at most 255 characters.
    public static let dedupKeyLength = 255

    /// The adapter's settings.
    public var configuration: PagerDutyConfiguration

    /// Creates a builder.
    public init(configuration: PagerDutyConfiguration) {
        self.configuration = configuration
    }

    /// The `dedup_key` that stands for `dedupKey`: the key itself when it fits, else its start and a hash of the
    /// whole, so two long keys never share an alert.
    public static func dedupKey(_ dedupKey: String) -> String {
        guard dedupKey.count > dedupKeyLength else { return dedupKey }
        let hash = String(FNV1a.hash(dedupKey), radix: 16)
        return String(dedupKey.prefix(dedupKeyLength - hash.count - 1)) + "~" + hash
    }

    /// The event for `command`.
    /// - Throws: ``TargetFailure/Code/unsupported`` for a comment or a reopen, which have no event.
    public func request(for command: IncidentCommand) throws(TargetFailure) -> HTTPRequest {
        let action: String
        switch command.action {
        case .create: action = "trigger"
        case .update: action = command.event.status == .acknowledged ? "acknowledge" : "trigger"
        case .resolve: action = "resolve"
        case .comment:
            throw TargetFailure(
                .unsupported,
                "the PagerDuty Events API v2 has no notes or comments; the reply was not sent"
            )
        case .reopen:
            throw TargetFailure(.unsupported, "the PagerDuty Events API v2 cannot reopen; a trigger opens a new alert")
        }
        var body = JSONObject([
            ("routing_key", .string(configuration.routingKey.exposedValue)),
            ("event_action", .string(action)),
            ("dedup_key", .string(Self.dedupKey(command.dedupKey))),
        ])
        if action == "trigger" { addTriggerFields(command.event, to: &body) }
        return HTTPRequest(
            method: "POST",
            url: configuration.baseURL + "/v2/enqueue",
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")],
            body: JSONWriter.bytes(.object(body)),
            timeout: configuration.requestTimeout
        )
    }

    /// `payload` (summary, source, severity and the optional fields), `client` and `links`: fields of triggers only.
    private func addTriggerFields(_ event: NormalizedEvent, to body: inout JSONObject) {
        let labels = event.labels
        var payload = JSONObject([
            ("summary", .string(String(event.title.prefix(Self.summaryLength)))),
            ("source", .string(configuration.sourceLabels.lazy.compactMap { labels[$0] }.first ?? event.source)),
            ("severity", .string(configuration.severities[event.severity] ?? "warning")),
        ])
        if let time = event.occurredAt { payload["timestamp"] = .string(time.rfc3339) }
        for (field, label) in [
            ("component", configuration.componentLabel), ("group", configuration.groupLabel),
            ("class", configuration.classLabel),
        ] {
            if let value = label.flatMap({ labels[$0] }) { payload[field] = .string(value) }
        }
        var details = JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
        if !event.description.isEmpty { details["description"] = .string(event.description) }
        if !details.keys.isEmpty { payload["custom_details"] = .object(details) }
        body["payload"] = .object(payload)
        body["client"] = .string(configuration.client)
        if !event.links.isEmpty {
            body["links"] = .array(
                event.links.map { .object(JSONObject([("href", .string($0.href)), ("text", .string($0.text))])) }
            )
        }
    }
}

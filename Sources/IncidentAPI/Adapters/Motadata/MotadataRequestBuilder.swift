public import Normalizer

/// Builds Motadata ServiceOps requests (CONTRACTS.md §2.2, §2.3). Pure.
///
/// A command may need more than one call: a resolve on the request API is a PATCH of `statusName` and then a
/// conversation note with the resolution.
public struct MotadataRequestBuilder: Sendable {
    /// The settings.
    public var configuration: MotadataConfiguration

    /// Creates a builder.
    public init(configuration: MotadataConfiguration) {
        self.configuration = configuration
    }

    /// The calls for `command`, in order.
    public func requests(for command: IncidentCommand) throws(TargetFailure) -> [HTTPRequest] {
        let event = command.event
        let levels =
            configuration.levels[event.severity] ?? MotadataConfiguration.defaultLevels(configuration.api)[
                event.severity
            ]!
        switch configuration.api {
        case .request:
            switch command.action {
            case .create:
                var body = JSONObject()
                body["subject"] = .string(event.title)
                body["description"] = .string(IncidentText.html(IncidentText.body(event)))
                body["requesterEmail"] = .string(configuration.requesterEmail)
                if let category = configuration.categoryName { body["categoryName"] = .string(category) }
                body["priorityName"] = .string(levels.priority)
                body["urgencyName"] = .string(levels.urgency)
                body["impactName"] = .string(levels.impact)
                body["tags"] = .array((configuration.tags + ["source:\(event.source)"]).map(JSONValue.string))
                body["source"] = .string(configuration.source)
                var custom = JSONObject(customFields(event).map { ($0.0, JSONValue.string($0.1)) })
                if let field = configuration.dedupKeyField { custom[field] = .string(command.dedupKey) }
                if custom.count > 0 { body["customField"] = .object(custom) }
                return [post("/api/v1/request", body)]
            case .update, .reopen:
                var body = JSONObject()
                // The docs mark `subject` compulsory even on PATCH (CONTRACTS.md §2.3).
                body["subject"] = .string(event.title)
                body["description"] = .string(IncidentText.html(IncidentText.body(event)))
                body["priorityName"] = .string(levels.priority)
                body["urgencyName"] = .string(levels.urgency)
                body["impactName"] = .string(levels.impact)
                if event.status == .acknowledged { body["statusName"] = .string(configuration.acknowledgedStatus) }
                if command.action == .reopen { body["statusName"] = .string(configuration.openStatus) }
                return [request("PATCH", "/api/v1/request/\(try id(of: command))", body)]
            case .resolve:
                let id = try id(of: command)
                let patch = request(
                    "PATCH",
                    "/api/v1/request/\(id)",
                    JSONObject([
                        ("subject", .string(event.title)), ("statusName", .string(configuration.resolvedStatus)),
                    ])
                )
                return [patch, note(id: id, text: IncidentText.resolutionNote(event))]
            case .comment:
                return [note(id: try id(of: command), text: IncidentText.comment(event))]
            }
        case .incident:
            switch command.action {
            case .create:
                var body = JSONObject()
                body["subject"] = .string(event.title)
                body["categoryName"] = .string(configuration.categoryName ?? "Incident")
                body["requesterEmail"] = .string(configuration.requesterEmail)
                body["description"] = .string(IncidentText.body(event))
                body["priority"] = .string(levels.priority)
                body["urgency"] = .string(levels.urgency)
                body["impact"] = .string(levels.impact)
                body["tags"] = .array((configuration.tags + ["source:\(event.source)"]).map(JSONValue.string))
                // Type 1 = STRING (CONTRACTS.md §2.2).
                var details = JSONObject()
                for (field, value) in customFields(event) {
                    details[field] = .object(JSONObject([("type", .number("1")), ("stringValue", .string(value))]))
                }
                if let field = configuration.dedupKeyField {
                    details[field] = .object(
                        JSONObject([("type", .number("1")), ("stringValue", .string(command.dedupKey))])
                    )
                }
                if details.count > 0 { body["customFieldValueDetails"] = .object(details) }
                return [post("/api/v1/incident", body)]
            case .update, .reopen:
                var body = JSONObject()
                body["subject"] = .string(event.title)
                body["description"] = .string(IncidentText.body(event))
                body["priority"] = .string(levels.priority)
                body["urgency"] = .string(levels.urgency)
                body["impact"] = .string(levels.impact)
                if event.status == .acknowledged { body["status"] = .string(configuration.acknowledgedStatus) }
                if command.action == .reopen { body["status"] = .string(configuration.openStatus) }
                // The legacy update is a POST, not PUT or PATCH (CONTRACTS.md §2.2).
                return [post("/api/v1/incident/\(try id(of: command))", body)]
            case .resolve:
                return [
                    post(
                        "/api/v1/incident/\(try id(of: command))",
                        JSONObject([("status", .string(configuration.resolvedStatus))])
                    )
                ]
            case .comment:
                throw TargetFailure(
                    .unsupported,
                    "the legacy Motadata incident API has no notes; use api: request for comments"
                )
            }
        }
    }

    /// (custom field, label value) for each configured label the event has, sorted by field.
    private func customFields(_ event: NormalizedEvent) -> [(String, String)] {
        configuration.labelFields.sorted { $0.key < $1.key }.compactMap { field, label in
            event.labels[label].map { (field, $0) }
        }
    }

    private func note(id: String, text: String) -> HTTPRequest {
        post(
            "/api/v1/request/\(id)/conversation",
            JSONObject([
                ("conversationType", .string("note")), ("details", .string(IncidentText.html(text))),
                ("conversationState", .string("published")),
            ])
        )
    }

    private func post(_ path: String, _ body: JSONObject) -> HTTPRequest { request("POST", path, body) }

    private func request(_ method: String, _ path: String, _ body: JSONObject) -> HTTPRequest {
        HTTPRequest(
            method: method,
            url: configuration.baseURL + path,
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")],
            body: JSONWriter.bytes(.object(body)),
            timeout: configuration.requestTimeout
        )
    }

    private func id(of command: IncidentCommand) throws(TargetFailure) -> String {
        guard let id = command.externalID, !id.isEmpty else {
            throw TargetFailure(
                .unsupported,
                "\(command.action.rawValue) needs the incident id, and the command has none"
            )
        }
        return id
    }
}

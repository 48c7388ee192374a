import Normalizer

/// ServiceOps 8.x's request API (`target.motadata.api: request`): `POST /api/v1/request`, PATCH updates (the docs
/// require `subject` even there), display-name enums, an HTML description, and conversation notes.
extension MotadataRequestBuilder {
    /// `POST /api/v1/request`.
    func requestCreate(_ command: IncidentCommand) -> HTTPRequest {
        let event = command.event
        let levels = levels(event.severity)
        var body = JSONObject()
        body["subject"] = .string(event.title)
        body["description"] = .string(
            IncidentText.html(DescriptionSections.initial(body: IncidentText.body(event), dedupKey: command.dedupKey))
        )
        body["requesterEmail"] = .string(configuration.requesterEmail)
        if let category = configuration.categoryName { body["categoryName"] = .string(category) }
        body["priorityName"] = .string(levels.priority)
        body["urgencyName"] = .string(levels.urgency)
        body["impactName"] = .string(levels.impact)
        body["tags"] = tags(event)
        body["source"] = .string(configuration.source)
        var custom = JSONObject(customFields(event).map { ($0.0, JSONValue.string($0.1)) })
        if let field = configuration.dedupKeyField { custom[field] = .string(command.dedupKey) }
        if custom.count > 0 { body["customField"] = .object(custom) }
        return post("/api/v1/request", body)
    }

    /// `PATCH /api/v1/request/{id}` for an update or a reopen. The description is ingestor's here: people's notes
    /// are conversations, which no PATCH touches.
    func requestUpdate(_ id: String, _ command: IncidentCommand) -> HTTPRequest {
        let event = command.event
        let levels = levels(event.severity)
        var body = JSONObject()
        body["subject"] = .string(event.title)
        body["description"] = .string(
            IncidentText.html(DescriptionSections.initial(body: IncidentText.body(event), dedupKey: command.dedupKey))
        )
        body["priorityName"] = .string(levels.priority)
        body["urgencyName"] = .string(levels.urgency)
        body["impactName"] = .string(levels.impact)
        if event.status == .acknowledged { body["statusName"] = .string(configuration.acknowledgedStatus) }
        if command.action == .reopen { body["statusName"] = .string(configuration.openStatus) }
        return request("PATCH", "/api/v1/request/\(id)", body)
    }

    /// `PATCH /api/v1/request/{id}` with `subject` and `statusName: Resolved`.
    func requestResolve(_ id: String, _ event: NormalizedEvent) -> HTTPRequest {
        request(
            "PATCH",
            "/api/v1/request/\(id)",
            JSONObject([("subject", .string(event.title)), ("statusName", .string(configuration.resolvedStatus))])
        )
    }

    /// `POST /api/v1/request/{id}/conversation`: a published note.
    func note(id: String, text: String) -> HTTPRequest {
        post(
            "/api/v1/request/\(id)/conversation",
            JSONObject([
                ("conversationType", .string("note")), ("details", .string(IncidentText.html(text))),
                ("conversationState", .string("published")),
            ])
        )
    }
}

public import Normalizer

/// The incident API of Motadata's "Update an Incident" page (the Flotomate-era generation, and ingestor's default):
/// `POST {{server-url}}/api/v1/incident/{{Incident-Id}}` updates (a POST, not a PUT or PATCH), upper-case enums,
/// a plain-text `description`, and no notes: a reply is appended to the description below the dedup key's marker
/// line, where updates never write.
extension MotadataRequestBuilder {
    static let incidents = "/api/v1/incident"

    /// `POST /api/v1/incident` (the create page of the same documentation): subject, category, requester, levels,
    /// tags, the description ending with the marker line, and `customFieldValueDetails` for configured fields.
    func legacyCreate(_ command: IncidentCommand) -> HTTPRequest {
        let event = command.event
        let levels = levels(event.severity)
        var body = JSONObject()
        body["subject"] = .string(event.title)
        body["categoryName"] = .string(configuration.categoryName ?? "Incident")
        body["requesterEmail"] = .string(configuration.requesterEmail)
        body["description"] = .string(
            DescriptionSections.initial(body: IncidentText.body(event), dedupKey: command.dedupKey)
        )
        body["priority"] = .string(levels.priority)
        body["urgency"] = .string(levels.urgency)
        body["impact"] = .string(levels.impact)
        body["tags"] = tags(event)
        // Custom field values are typed; 1 is STRING.
        var details = JSONObject()
        for (field, value) in customFields(event) {
            details[field] = .object(JSONObject([("type", .number("1")), ("stringValue", .string(value))]))
        }
        if let field = configuration.dedupKeyField {
            details[field] = .object(JSONObject([("type", .number("1")), ("stringValue", .string(command.dedupKey))]))
        }
        if details.count > 0 { body["customFieldValueDetails"] = .object(details) }
        return post(Self.incidents, body)
    }

    /// `GET /api/v1/incident/{id}`.
    public func legacyGet(_ id: String) -> HTTPRequest {
        request("GET", "\(Self.incidents)/\(Percent.encode(id))", nil)
    }

    /// `POST /api/v1/incident/{id}` for an update or a reopen: subject, levels and ingestor's part of the
    /// description (`current`'s text below the marker line kept), the status for an acknowledgement or a reopen.
    /// Fields the page lists that ingestor does not send (location, tags, custom fields) are left as they are.
    public func legacyUpdate(_ id: String, current: JSONObject, command: IncidentCommand) -> HTTPRequest {
        let event = command.event
        let levels = levels(event.severity)
        var body = JSONObject()
        body["subject"] = .string(event.title)
        body["description"] = .string(
            DescriptionSections.replacingOwned(
                in: current["description"]?.string ?? "",
                with: IncidentText.body(event),
                dedupKey: command.dedupKey
            )
        )
        body["priority"] = .string(levels.priority)
        body["urgency"] = .string(levels.urgency)
        body["impact"] = .string(levels.impact)
        if event.status == .acknowledged { body["status"] = .string(configuration.acknowledgedStatus) }
        if command.action == .reopen { body["status"] = .string(configuration.openStatus) }
        return post("\(Self.incidents)/\(Percent.encode(id))", body)
    }

    /// `POST /api/v1/incident/{id}` with `paragraph` appended to `current`'s description, and nothing else.
    public func legacyReply(_ id: String, current: JSONObject, paragraph: String) -> HTTPRequest {
        post(
            "\(Self.incidents)/\(Percent.encode(id))",
            JSONObject([
                (
                    "description",
                    .string(DescriptionSections.appending(paragraph, to: current["description"]?.string ?? ""))
                )
            ])
        )
    }

    /// `POST /api/v1/incident/{id}` with `{"status": "Resolved"}`, the page's own example.
    func legacyResolve(_ id: String) -> HTTPRequest {
        post("\(Self.incidents)/\(Percent.encode(id))", JSONObject([("status", .string(configuration.resolvedStatus))]))
    }
}

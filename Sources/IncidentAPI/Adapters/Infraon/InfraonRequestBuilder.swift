public import Normalizer

/// Builds Infraon Infinity requests as Infraon's API guide, "Modules › Incident", shows them. Pure.
///
/// The create sends the fields of the guide's example, with levels in its flat form (`priority` name and
/// `priority_id`); the description carries the dedup key's marker line, which is how the incident is found again
/// when the create answers with no body, as the guide says it does.
public struct InfraonRequestBuilder: Sendable {
    /// The settings.
    public var configuration: InfraonConfiguration
    /// Incidents per page when searching the list.
    public static let pageSize = 50

    /// Creates a builder.
    public init(configuration: InfraonConfiguration) {
        self.configuration = configuration
    }

    static let incidents = "/ux/sd/inci/incident/"

    /// The levels configured for `severity` (medium's when it has none).
    public func levels(_ severity: Severity) -> InfraonConfiguration.Levels {
        configuration.levels[severity] ?? configuration.levels[.medium]!
    }

    /// `POST /ux/sd/inci/incident/`, the guide's example fields.
    public func create(_ command: IncidentCommand) -> HTTPRequest {
        let event = command.event
        let levels = levels(event.severity)
        var body = JSONObject()
        body["summary"] = .string(event.title)
        body["description"] = .string(
            DescriptionSections.initial(body: IncidentText.body(event), dedupKey: command.dedupKey)
        )
        body["requester_email"] = .string(configuration.requesterEmail)
        if let name = configuration.requesterName { body["requester_name"] = .string(name) }
        body["incident_type"] = .object(
            JSONObject([
                ("id", .number(String(configuration.incidentType.id))),
                ("name", .string(configuration.incidentType.name)), ("prefix", .string("inci")),
            ])
        )
        for (field, option) in [("priority", levels.priority), ("urgency", levels.urgency), ("impact", levels.impact)] {
            body[field] = .string(option.name)
            body["\(field)_id"] = .number(String(option.id))
        }
        return request("POST", Self.incidents, body: .object(body))
    }

    /// `GET /ux/sd/inci/incident/?items_per_page=50&page={page}`, pages counted from 1.
    public func list(page: Int) -> HTTPRequest {
        request("GET", Self.incidents + "?items_per_page=\(Self.pageSize)&page=\(page)", body: nil)
    }

    /// `GET /ux/sd/inci/incident/{id}/`.
    public func get(_ id: String) -> HTTPRequest {
        request("GET", Self.incidents + Percent.encode(id) + "/", body: nil)
    }

    /// `PUT /ux/sd/inci/incident/{id}/` with the whole document.
    public func put(_ id: String, _ document: JSONObject) -> HTTPRequest {
        request("PUT", Self.incidents + Percent.encode(id) + "/", body: .object(document))
    }

    /// `POST /ux/sd/inci/incident/inci_resolve/` with ``InfraonConfiguration/resolveBody`` filled from `command`.
    public func inciResolve(_ command: IncidentCommand) -> HTTPRequest {
        let template = RequestTemplate(
            command: command,
            severity: command.event.severity.rawValue,
            status: command.event.status.rawValue,
            bodyText: IncidentText.body(command.event)
        )
        let body =
            configuration.resolveBody
            ?? .object(JSONObject([("incident_id", .string("{{external_id}}"))]))
        return request("POST", Self.incidents + "inci_resolve/", body: template.json(body))
    }

    /// `POST /ux/sd/inci/incident/save-rich-text/`: a note on the incident, in the shape Fortinet's connector sends.
    public func note(_ id: String, text: String) -> HTTPRequest {
        request(
            "POST",
            Self.incidents + "save-rich-text/",
            body: .object(
                JSONObject([
                    ("ref_id", .string(id)),
                    (
                        "rich_text_content",
                        .object(
                            JSONObject([
                                ("description", .string("<p>" + IncidentText.html(text) + "</p>")),
                                ("type", .string("Add Notes")), ("is_private", .bool(false)),
                                ("work_duration", .object(JSONObject())),
                            ])
                        )
                    ),
                ])
            )
        )
    }

    private func request(_ method: String, _ path: String, body: JSONValue?) -> HTTPRequest {
        var headers = [HTTPHeader("Accept", "application/json")]
        if body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
        return HTTPRequest(
            method: method,
            url: configuration.baseURL + path,
            headers: headers,
            body: body.map { JSONWriter.bytes($0) },
            timeout: configuration.requestTimeout
        )
    }
}

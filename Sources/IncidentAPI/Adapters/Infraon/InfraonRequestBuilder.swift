public import Normalizer

/// Builds Infraon Infinity requests (CONTRACTS.md §6.1, after the working shapes of Fortinet's connector). Pure.
///
/// Infraon's update is a whole-document PUT, so updates and resolves start from the incident a GET returns
/// (``merged(_:event:status:)``) and send all of it back.
public struct InfraonRequestBuilder: Sendable {
    /// The settings.
    public var configuration: InfraonConfiguration

    /// Creates a builder.
    public init(configuration: InfraonConfiguration) {
        self.configuration = configuration
    }

    static let incidents = "/ux/sd/inci/incident/"

    private func levels(_ severity: Severity) -> InfraonConfiguration.Levels {
        configuration.levels[severity] ?? configuration.levels[.medium]!
    }

    /// `POST /ux/sd/inci/incident/`.
    public func create(_ command: IncidentCommand) -> HTTPRequest {
        let event = command.event
        let levels = levels(event.severity)
        var body = JSONObject()
        body["summary"] = .string(event.title)
        body["description"] = .string(IncidentText.body(event))
        body["requester_email"] = .string(configuration.requesterEmail)
        if let name = configuration.requesterName { body["requester_name"] = .string(name) }
        body["incident_type"] = .object(
            JSONObject([
                ("id", .number(String(configuration.incidentType.id))),
                ("name", .string(configuration.incidentType.name)),
                ("prefix", .string("inci")),
            ])
        )
        body["priority"] = levels.priority.json
        body["urgency"] = levels.urgency.json
        body["impact"] = levels.impact.json
        body["tag"] = .array([.string("ingestor"), .string("source:\(event.source)")])
        // Infraon's create takes a `reference` object; its search semantics are unknown, so it is for people.
        body["reference"] = .object(JSONObject([("ingestor_dedup_key", .string(command.dedupKey))]))
        return request("POST", Self.incidents, body: body)
    }

    /// `GET /ux/sd/inci/incident/{id}/`.
    public func get(_ id: String) -> HTTPRequest {
        request("GET", Self.incidents + Percent.encode(id) + "/", body: nil)
    }

    /// `PUT /ux/sd/inci/incident/{id}/` with the whole document.
    public func put(_ id: String, _ incident: JSONObject) -> HTTPRequest {
        request("PUT", Self.incidents + Percent.encode(id) + "/", body: incident)
    }

    /// `POST /ux/sd/inci/incident/inci_resolve/` with the configured body template filled from `command`.
    public func inciResolve(_ command: IncidentCommand, template body: JSONValue) -> HTTPRequest {
        let template = RequestTemplate(
            command: command,
            severity: command.event.severity.rawValue,
            status: command.event.status.rawValue,
            bodyText: IncidentText.body(command.event)
        )
        return request("POST", Self.incidents + "inci_resolve/", body: template.json(body).object ?? JSONObject())
    }

    /// `POST /ux/sd/inci/incident/save-rich-text/`: a note on the incident.
    public func note(_ id: String, text: String) -> HTTPRequest {
        request(
            "POST",
            Self.incidents + "save-rich-text/",
            body: JSONObject([
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
    }

    /// The incident document from a GET answer with the event's changes, or `nil` with the reason.
    /// - Parameters:
    ///   - answer: `{"incident": {...}, "options": {...}}`.
    ///   - event: new summary, description and levels; `nil` keeps them.
    ///   - status: a status option name to set from `options.status`.
    public func merged(
        _ answer: JSONValue,
        event: NormalizedEvent?,
        status: String?
    ) -> Result<JSONObject, TargetFailure> {
        guard var incident = answer["incident"]?.object else {
            return .failure(TargetFailure(.invalidResponse, "Infraon's incident answer has no `incident` document"))
        }
        var info = incident["basic_info"]?.object ?? JSONObject()
        if let event {
            let levels = levels(event.severity)
            info["summary"] = .string(event.title)
            info["description"] = .string(IncidentText.body(event))
            let oldPriority = info["priority"]?["id"]?.int64
            info["priority"] = levels.priority.json
            info["urgency"] = levels.urgency.json
            info["impact"] = levels.impact.json
            if let oldPriority, oldPriority != Int64(levels.priority.id) {
                // A priority change needs its reason recorded (CONTRACTS.md §6.1, [I5]).
                incident["temp_priority"] = levels.priority.json
                incident["comment"] = .object(
                    JSONObject([
                        ("description", .string("Severity changed to \(event.severity.rawValue) at the source.")),
                        ("type", .string("Priority Change")), ("is_private", .bool(false)),
                    ])
                )
            }
        }
        if let status {
            guard let option = answer["options"]?["status"]?.array?.first(where: { $0["name"]?.string == status })
            else {
                return .failure(TargetFailure(.rejected, "the incident offers no status option named \(status)"))
            }
            info["status"] = option
        }
        incident["basic_info"] = .object(info)
        return .success(incident)
    }

    private func request(_ method: String, _ path: String, body: JSONObject?) -> HTTPRequest {
        var headers = [HTTPHeader("Accept", "application/json")]
        if body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
        return HTTPRequest(
            method: method,
            url: configuration.baseURL + path,
            headers: headers,
            body: body.map { JSONWriter.bytes(.object($0)) },
            timeout: configuration.requestTimeout
        )
    }

    /// The incident id in a create answer: `data.id`, `id`, or `data.incident_id` (the sources disagree).
    public static func incidentID(in document: JSONValue?) -> String? {
        for candidate in [document?["data"]?["id"], document?["id"], document?["data"]?["incident_id"]] {
            if let id = candidate?.scalarText, !id.isEmpty { return id }
        }
        return nil
    }
}

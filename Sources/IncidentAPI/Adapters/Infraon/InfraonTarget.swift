public import Logging
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
        body["description"] = .string(DevRevRequestBuilder.bodyText(for: event))
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
            bodyText: DevRevRequestBuilder.bodyText(for: command.event)
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
                            ("description", .string("<p>" + MotadataRequestBuilder.html(text) + "</p>")),
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
            info["description"] = .string(DevRevRequestBuilder.bodyText(for: event))
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

/// Infraon Infinity (`target.kind: infraon`).
public struct InfraonTarget: IncidentTarget {
    private let builder: InfraonRequestBuilder
    private let client: AuthorizedClient
    private let classifier: VendorResponseClassifier
    private let logger: Logger

    /// Creates the target.
    public init(configuration: InfraonConfiguration, client: any HTTPClient, logger: Logger) {
        builder = InfraonRequestBuilder(configuration: configuration)
        let redactor = Redactor(secrets: configuration.authentication.secrets)
        self.client = AuthorizedClient(
            client: client,
            authentication: configuration.authentication,
            redactor: redactor,
            timeout: configuration.requestTimeout
        )
        classifier = VendorResponseClassifier(
            vendor: "Infraon",
            messageKeys: ["error", "msg", "message"],
            statusErrorOnSuccess: true,
            redactor: redactor
        )
        var logger = logger
        logger[metadataKey: "incident.adapter"] = "infraon"
        self.logger = logger
    }

    public var name: String { "infraon" }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        let event = command.event
        if command.action == .create {
            return await send(builder.create(command)) { response, document in
                guard let id = InfraonRequestBuilder.incidentID(in: document) else {
                    return .permanent(
                        TargetFailure(
                            .invalidResponse,
                            "Infraon answered \(response.status) without the incident id",
                            httpStatus: response.status
                        )
                    )
                }
                return .success(externalID: id, httpStatus: response.status)
            }
        }
        guard let id = command.externalID, !id.isEmpty else {
            return .permanent(
                TargetFailure(
                    .unsupported,
                    "\(command.action.rawValue) needs the incident id, and the command has none"
                )
            )
        }
        let done: (HTTPResponse, JSONValue?) -> TargetOutcome = { response, _ in
            .success(externalID: id, httpStatus: response.status)
        }
        switch command.action {
        case .create:
            return .permanent(TargetFailure(.unsupported, "unreachable"))
        case .reopen:
            // No documented way back from resolved; the correlator opens a new incident instead (supportsReopen).
            return .permanent(TargetFailure(.unsupported, "\(name) cannot reopen an incident"))
        case .comment:
            return await send(
                builder.note(id, text: event.description.isEmpty ? event.title : event.description),
                success: done
            )
        case .resolve where builder.configuration.resolveBody != nil:
            let resolved = await send(
                builder.inciResolve(command, template: builder.configuration.resolveBody!),
                success: done
            )
            guard case .success = resolved else { return resolved }
            let note = "Resolved at the source\(event.resolvedAt.map { " at \($0.rfc3339)" } ?? "") (\(event.source))."
            return await send(builder.note(id, text: note), success: done)
        case .update, .resolve:
            var answer: JSONValue?
            let read = await send(builder.get(id)) { response, document in
                answer = document
                return .success(externalID: id, httpStatus: response.status)
            }
            guard case .success = read, let answer else { return read }
            let status: String? =
                command.action == .resolve
                ? builder.configuration.resolvedStatus
                : (event.status == .acknowledged ? builder.configuration.acknowledgedStatus : nil)
            let document: JSONObject
            switch builder.merged(answer, event: command.action == .update ? event : nil, status: status) {
            case .success(let merged): document = merged
            case .failure(let failure): return .permanent(failure)
            }
            let written = await send(builder.put(id, document), success: done)
            guard command.action == .resolve, case .success = written else { return written }
            let note = "Resolved at the source\(event.resolvedAt.map { " at \($0.rfc3339)" } ?? "") (\(event.source))."
            return await send(builder.note(id, text: note), success: done)
        }
    }

    private func send(
        _ request: HTTPRequest,
        success: (HTTPResponse, JSONValue?) -> TargetOutcome
    ) async -> TargetOutcome {
        switch await client.send(request) {
        case .failure(let failure):
            return failure.outcome
        case .success(let response):
            logger.debug("infraon \(request.method) \(request.url) → \(response.status)")
            if let failure = classifier.failure(of: response) { return failure }
            let document = try? JSONParser().parse(response.body)
            return success(response, document)
        }
    }
}

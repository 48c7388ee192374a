public import Logging
public import Normalizer

/// Builds ServiceDesk 8.5 requests (CONTRACTS.md §5.1). Pure.
public struct SymantecRequestBuilder: Sendable {
    /// The settings.
    public var configuration: SymantecConfiguration

    /// Creates a builder.
    public init(configuration: SymantecConfiguration) {
        self.configuration = configuration
    }

    /// The `Incident` object for `event`: camelCase keys as the API's JSON samples use them.
    public func incident(_ event: NormalizedEvent, description: String? = nil) -> JSONObject {
        let levels = configuration.levels[event.severity] ?? configuration.levels[.medium]!
        var body = JSONObject()
        body["incidentName"] = .string(event.title)
        body["incidentDescription"] = .string(description ?? DevRevRequestBuilder.bodyText(for: event))
        body["affectedUserEmail"] = .string(configuration.affectedUserEmail)
        if let type = configuration.incidentType { body["incidentType"] = .string(type) }
        if let classification = configuration.classification { body["classification"] = .string(classification) }
        body["priority"] = .string(levels.priority)
        body["impact"] = .string(levels.impact)
        body["urgency"] = .string(levels.urgency)
        return body
    }

    /// `POST api/incident`.
    public func create(_ event: NormalizedEvent) -> HTTPRequest { request("POST", "/api/incident", incident(event)) }

    /// `GET api/incident/{sessionId}`.
    public func get(_ id: String) -> HTTPRequest { request("GET", "/api/incident/\(Percent.encode(id))", nil) }

    /// `PUT api/incident/{sessionId}`: title, description, impact/urgency and classification; never the state.
    public func put(_ id: String, _ body: JSONObject) -> HTTPRequest {
        request("PUT", "/api/incident/\(Percent.encode(id))", body)
    }

    /// `PATCH api/incident/{sessionId}` with `resolution` and `closeCode`, both required.
    public func resolve(_ id: String, _ event: NormalizedEvent) -> HTTPRequest {
        let note = "Resolved at the source\(event.resolvedAt.map { " at \($0.rfc3339)" } ?? "") (\(event.source))."
        return request(
            "PATCH",
            "/api/incident/\(Percent.encode(id))",
            JSONObject([("resolution", .string(note)), ("closeCode", .string(configuration.closeCode))])
        )
    }

    private func request(_ method: String, _ path: String, _ body: JSONObject?) -> HTTPRequest {
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

    /// The incident id in a create answer, which ServiceDesk does not document: an `Incident` object's
    /// `sessionId`, or a bare GUID string.
    public static func sessionID(in document: JSONValue?) -> String? {
        if let id = document?.string, !id.isEmpty { return id }
        for key in ["sessionId", "SessionId", "incidentSessionId"] {
            if let id = document?[key]?.string, !id.isEmpty { return id }
        }
        return nil
    }
}

/// Symantec ServiceDesk 8.5 (`target.kind: symantec`).
///
/// Logs in for a session token and sends it as `Authorization: token <GUID>`; a 403 may mean the session expired,
/// so it logs in again once before treating the 403 as final. There are no comments and no search: a reply is
/// appended to the description (GET, then PUT), and the dedup state is only ingestor's own.
public struct SymantecTarget: IncidentTarget {
    private let builder: SymantecRequestBuilder
    private let client: AuthorizedClient
    private let classifier: VendorResponseClassifier
    private let logger: Logger

    /// Creates the target.
    public init(configuration: SymantecConfiguration, client: any HTTPClient, logger: Logger) {
        builder = SymantecRequestBuilder(configuration: configuration)
        let redactor = Redactor(secrets: [configuration.password])
        self.client = AuthorizedClient(
            client: client,
            authentication: configuration.authentication,
            redactor: redactor,
            reauthenticateOn: [401, 403],
            timeout: configuration.requestTimeout
        )
        classifier = VendorResponseClassifier(vendor: "ServiceDesk", messageKeys: ["Message"], redactor: redactor)
        var logger = logger
        logger[metadataKey: "incident.adapter"] = "symantec"
        self.logger = logger
    }

    public var name: String { "symantec" }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        let event = command.event
        if command.action == .create {
            return await send(builder.create(event)) { response, document in
                guard let id = SymantecRequestBuilder.sessionID(in: document) else {
                    return .permanent(
                        TargetFailure(
                            .invalidResponse,
                            "ServiceDesk answered \(response.status) without a sessionId",
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
        switch command.action {
        case .create:
            return .permanent(TargetFailure(.unsupported, "unreachable"))
        case .reopen:
            // No documented way back from resolved; the correlator opens a new incident instead (supportsReopen).
            return .permanent(TargetFailure(.unsupported, "\(name) cannot reopen an incident"))
        case .update:
            return await send(builder.put(id, builder.incident(event))) { response, _ in
                .success(externalID: id, httpStatus: response.status)
            }
        case .comment:
            var current: JSONValue?
            let read = await send(builder.get(id)) { response, document in
                current = document
                return .success(externalID: id, httpStatus: response.status)
            }
            guard case .success = read else { return read }
            let existing = current?["incidentDescription"]?.string ?? ""
            let reply =
                "Reply\(event.occurredAt.map { " at \($0.rfc3339)" } ?? ""): \(event.description.isEmpty ? event.title : event.description)"
            var body = builder.incident(event, description: existing.isEmpty ? reply : existing + "\n\n" + reply)
            // A reply changes the text only: keep the incident's own title and levels.
            for key in ["incidentName", "priority", "impact", "urgency"] {
                if let value = current?[key], value != .null { body[key] = value }
            }
            return await send(builder.put(id, body)) { response, _ in
                .success(externalID: id, httpStatus: response.status)
            }
        case .resolve:
            return await send(builder.resolve(id, event)) { response, _ in
                .success(externalID: id, httpStatus: response.status)
            }
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
            logger.debug("symantec \(request.method) \(request.url) → \(response.status)")
            if let failure = classifier.failure(of: response) { return failure }
            return success(response, try? JSONParser().parse(response.body))
        }
    }
}

public import Normalizer

/// Builds ServiceDesk 8.5 requests after Broadcom's "ServiceDesk - API - Incident" page (the `Incident` controller:
/// `POST api/incident`, `PUT`, `PATCH` and `GET api/incident/{incidentSessionId}`). Pure.
public struct SymantecRequestBuilder: Sendable {
    /// The settings.
    public var configuration: SymantecConfiguration

    /// Creates a builder.
    public init(configuration: SymantecConfiguration) {
        self.configuration = configuration
    }

    /// Fields of an `Incident` the API sets itself or takes only on a resolve: never sent with a create or a PUT.
    static let notWritten: Set<String> = ["status", "resolution", "closecode", "sessionid", "processid"]

    /// The `Incident` object of a new incident: camelCase keys as the page's JSON sample uses them, the description
    /// ending with the dedup key's marker line (below which replies are appended).
    public func incident(_ command: IncidentCommand) -> JSONObject {
        let event = command.event
        var body = JSONObject()
        body["incidentName"] = .string(event.title)
        body["incidentDescription"] = .string(
            DescriptionSections.initial(body: IncidentText.body(event), dedupKey: command.dedupKey)
        )
        body["affectedUserEmail"] = .string(configuration.affectedUserEmail)
        if let type = configuration.incidentType { body["incidentType"] = .string(type) }
        if let classification = configuration.classification { body["classification"] = .string(classification) }
        setLevels(event.severity, in: &body)
        return body
    }

    /// The `Incident` a PUT sends: the incident as the GET answered it (classification, type, affected user,
    /// location — whatever people set), with what ingestor owns changed: the title, the levels and its part of the
    /// description. The fields the API sets itself are left out.
    public func updated(_ current: JSONObject, with command: IncidentCommand) -> JSONObject {
        var body = Self.writable(current)
        let event = command.event
        body["incidentName"] = .string(event.title)
        body["incidentDescription"] = .string(
            DescriptionSections.replacingOwned(
                in: current["incidentDescription"]?.string ?? "",
                with: IncidentText.body(event),
                dedupKey: command.dedupKey
            )
        )
        setLevels(event.severity, in: &body)
        return body
    }

    /// The `Incident` a PUT sends for a reply: the incident as the GET answered it, `paragraph` appended to its
    /// description.
    public func replying(_ current: JSONObject, _ paragraph: String) -> JSONObject {
        var body = Self.writable(current)
        body["incidentDescription"] = .string(
            DescriptionSections.appending(paragraph, to: current["incidentDescription"]?.string ?? "")
        )
        return body
    }

    /// `POST api/incident`.
    public func create(_ command: IncidentCommand) -> HTTPRequest {
        request("POST", "/api/incident", incident(command))
    }

    /// `GET api/incident/{incidentSessionId}`.
    public func get(_ id: String) -> HTTPRequest { request("GET", "/api/incident/\(Percent.encode(id))", nil) }

    /// `PUT api/incident/{incidentSessionId}`: title, description, impact/urgency and classification; never the state.
    public func put(_ id: String, _ body: JSONObject) -> HTTPRequest {
        request("PUT", "/api/incident/\(Percent.encode(id))", body)
    }

    /// `PATCH api/incident/{incidentSessionId}` with `resolution` and `closeCode`, both required.
    public func resolve(_ id: String, _ event: NormalizedEvent) -> HTTPRequest {
        request(
            "PATCH",
            "/api/incident/\(Percent.encode(id))",
            JSONObject([
                ("resolution", .string(IncidentText.resolutionNote(event))),
                ("closeCode", .string(configuration.closeCode)),
            ])
        )
    }

    private func setLevels(_ severity: Severity, in body: inout JSONObject) {
        let levels = configuration.levels[severity] ?? configuration.levels[.medium]!
        body["priority"] = .string(levels.priority)
        body["impact"] = .string(levels.impact)
        body["urgency"] = .string(levels.urgency)
    }

    /// `current` without the fields the API sets itself (`status`, `sessionId`, …) and without nulls.
    static func writable(_ current: JSONObject) -> JSONObject {
        JSONObject(current.members.filter { !notWritten.contains($0.key.lowercased()) && $0.value != .null })
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
}

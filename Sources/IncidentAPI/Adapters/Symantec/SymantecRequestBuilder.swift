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
        body["incidentDescription"] = .string(description ?? IncidentText.body(event))
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
        let note = IncidentText.resolutionNote(event)
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

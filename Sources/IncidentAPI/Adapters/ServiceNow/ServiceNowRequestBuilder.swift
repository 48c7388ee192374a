public import Normalizer

/// Builds ServiceNow Table API requests from incident commands. Pure: no I/O, no clock.
///
/// Every call is JSON with `Accept: application/json`, as the Table API reference shows; changes are `PATCH`es of the
/// fields ingestor owns, so what people set (assignee, work notes, state moves) is never overwritten.
public struct ServiceNowRequestBuilder: Sendable {
    /// `incident.state` Resolved, which needs `close_code` and `close_notes` on default instances.
    public static let resolvedState = 6
    /// `correlation_id` is a 100-character string field; the instance cuts longer values silently.
    public static let correlationIDLength = 100
    /// `short_description` is a 160-character string field.
    public static let shortDescriptionLength = 160

    /// The adapter's settings.
    public var configuration: ServiceNowConfiguration

    /// Creates a builder.
    public init(configuration: ServiceNowConfiguration) {
        self.configuration = configuration
    }

    /// The `correlation_id` that stands for `dedupKey`: the key itself when it fits the field, else its start and a
    /// hash of the whole, so a lookup never matches a cut-off value another key shares.
    public static func correlationID(_ dedupKey: String) -> String {
        guard dedupKey.count > correlationIDLength else { return dedupKey }
        let hash = String(FNV1a.hash(dedupKey), radix: 16)
        return String(dedupKey.prefix(correlationIDLength - hash.count - 1)) + "~" + hash
    }

    /// `POST /api/now/table/incident`.
    public func create(_ command: IncidentCommand) -> HTTPRequest {
        var body = owned(command.event)
        body["correlation_id"] = .string(Self.correlationID(command.dedupKey))
        body["correlation_display"] = .string(configuration.correlationDisplay)
        if let caller = configuration.callerID { body["caller_id"] = .string(caller) }
        if let group = configuration.assignmentGroup { body["assignment_group"] = .string(group) }
        if let category = configuration.category { body["category"] = .string(category) }
        return request("POST", path: "", body: body)
    }

    /// `PATCH /api/now/table/incident/{sys_id}` with what the event says, and the acknowledged state when configured.
    public func update(_ id: String, _ event: NormalizedEvent) -> HTTPRequest {
        var body = owned(event)
        if event.status == .acknowledged, let state = configuration.acknowledgedState {
            body["state"] = .string(String(state))
        }
        return request("PATCH", path: "/" + Percent.encode(id), body: body)
    }

    /// `PATCH …/{sys_id}` to Resolved, with the close code and notes default instances require.
    public func resolve(_ id: String, _ event: NormalizedEvent) -> HTTPRequest {
        let body = JSONObject([
            ("state", .string(String(Self.resolvedState))),
            ("close_code", .string(configuration.closeCode)),
            ("close_notes", .string(IncidentText.resolutionNote(event))),
        ])
        return request("PATCH", path: "/" + Percent.encode(id), body: body)
    }

    /// `PATCH …/{sys_id}` writing the reply to the journal field (`work_notes` or `comments`).
    public func comment(_ id: String, _ event: NormalizedEvent) -> HTTPRequest {
        let body = JSONObject([(configuration.journalField.rawValue, .string(IncidentText.comment(event)))])
        return request("PATCH", path: "/" + Percent.encode(id), body: body)
    }

    /// `GET /api/now/table/incident?sysparm_query=correlation_id=<key>^active=true^ORDERBYDESCsys_created_on`: the
    /// newest active incident carrying the key (Resolved incidents are still active until they close).
    public func lookup(_ dedupKey: String) -> HTTPRequest {
        let query = "correlation_id=\(Self.correlationID(dedupKey))^active=true^ORDERBYDESCsys_created_on"
        return HTTPRequest(
            method: "GET",
            url: configuration.baseURL + "/api/now/table/incident?sysparm_query=" + Percent.encode(query)
                + "&sysparm_fields=sys_id%2Cnumber%2Cstate&sysparm_limit=1",
            headers: [HTTPHeader("Accept", "application/json")],
            timeout: configuration.requestTimeout
        )
    }

    /// The fields ingestor owns: the short description, the description, urgency and impact.
    private func owned(_ event: NormalizedEvent) -> JSONObject {
        JSONObject([
            ("short_description", .string(String(event.title.prefix(Self.shortDescriptionLength)))),
            ("description", .string(IncidentText.body(event))),
            ("urgency", .string(String(configuration.urgency[event.severity] ?? 2))),
            ("impact", .string(String(configuration.impact[event.severity] ?? 2))),
        ])
    }

    private func request(_ method: String, path: String, body: JSONObject) -> HTTPRequest {
        HTTPRequest(
            method: method,
            url: configuration.baseURL + "/api/now/table/incident" + path,
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")],
            body: JSONWriter.bytes(.object(body)),
            timeout: configuration.requestTimeout
        )
    }
}

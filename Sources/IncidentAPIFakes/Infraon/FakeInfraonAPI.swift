import Normalizer

/// A fake Infraon Infinity tenant that follows Infraon's API guide, "Modules › Incident" (the seed document), and
/// nothing more:
///
/// - `Authorization: <key>`, the bare key, as every endpoint page shows it (`Authorization: YOUR_API_KEY`); or a
///   login at `/ux/api-token-auth/` (the guide's Authentication module) whose `token` is sent the same way.
/// - `POST /ux/sd/inci/incident/` with `Content-Type: application/json` and the fields of the guide's example:
///   flat `priority` + `priority_id`, `urgency` + `urgency_id`, `impact` + `impact_id` (names and ids of the tenant's
///   options), `incident_type {id, name, prefix}`; any other field is refused. It answers 201 with **no body**.
/// - `GET /ux/sd/inci/incident/?items_per_page=&page=`: a bare array of incidents, newest first (the guide does not
///   say which order; ingestor's search does not rely on it within its page bound).
/// - `GET /ux/sd/inci/incident/{id}/`: the flat incident document (`incident_id`, `display_id`, `basic_info`, …).
/// - `PUT /ux/sd/inci/incident/{id}/`: the whole document, which replaces the stored one (what it leaves out is
///   gone); only the document's fields are taken.
/// - `POST /ux/sd/inci/incident/inci_resolve/` with an incident document naming `incident_id`.
/// - `POST /ux/sd/inci/incident/save-rich-text/`: a note, in the shape Fortinet's connector sends (the guide shows
///   only its generic placeholder).
///
/// Refusals are 400/401/404 with `{"error": …}` (the guide's Responses page) or DRF's `{"detail": …}` for 405/415.
/// ``Variant`` switches on what Fortinet's connector shows real tenants doing instead.
public struct FakeInfraonAPI: FakeVendorAPI {
    /// Real-world behaviours, seen through Fortinet's Infraon connector, that differ from the guide.
    public enum Variant: String, Sendable, CaseIterable {
        /// `GET …/incident/{id}/` answers `{"incident": {…}, "options": {…}}`, `basic_info` holds `{id, name}`
        /// options, a PUT takes that `incident` document (answering `{"status": "success"}`), a priority change needs
        /// a "Priority Change" `comment`, and creates take `{id, name}` options too.
        case wrappedIncident = "wrapped-incident"
        /// The create answers `{"status": "success", "data": {"id", "display_id"}}` instead of no body.
        case createAnswersID = "create-answers-id"
        /// The list answers `{"count", "next", "previous", "results"}` instead of a bare array.
        case listEnvelope = "list-envelope"
        /// API keys go as `Authorization: ApiKey <key>` (the guide's Authorization page) instead of the bare key.
        case apiKeyPrefix = "apikey-prefix"
        /// `inci_resolve/` is refused with 405, as on a tenant that does not offer it.
        case noInciResolve = "no-inci-resolve"
    }

    static let priorities = [(1, "Critical"), (2, "High"), (3, "Medium"), (4, "Low"), (5, "Very Low")]
    static let urgencies = [(1, "High"), (2, "Medium"), (3, "Low")]
    static let impacts = [(1, "Business"), (2, "Location"), (3, "Department"), (4, "Group"), (5, "User")]
    /// The fake tenant's status options; the guide names only `New` (1).
    public static let statuses = [(1, "New"), (2, "In Progress"), (3, "On Hold"), (4, "Resolved"), (5, "Closed")]
    /// The top-level fields of the guide's incident document (GET, PUT).
    static let documentFields: Set<String> = [
        "incident_id", "display_id", "is_merge_incident", "is_archive", "unread_mail", "requester", "config",
        "reporter_info", "basic_info", "reference", "source_info", "template_info", "impacted_asset", "close_info",
        "current_watcher", "current_assignment_info", "custom_field", "tag", "kb", "custom_field_data",
        "creation_time", "created_by_id", "last_update_time", "updated_by_id", "location",
    ]
    /// The fields of the guide's create example.
    static let createFields: Set<String> = [
        "summary", "description", "catalogue", "impact_service", "impact_service_name", "service_classification",
        "service_classification_name", "state", "state_id", "status", "status_id", "urgency_id", "urgency",
        "priority_id", "priority", "impact", "impact_id", "incident_source", "resolution_type", "is_first_call",
        "incident_type", "requester_id", "requester_name", "requester_email", "requester_phone", "reporter_name",
        "reporter_email", "reporter_phone", "watcher", "hold_config", "support_group", "assignee", "escalation", "tag",
        "assets", "config", "reference", "template_info", "closure_info", "approval_config", "custom_field",
        "attachment", "api_link", "lock_config", "field_service_config", "closure_note",
    ]
    static let base = "/ux/sd/inci/incident/"

    public let ledger: FakeLedger
    let variants: Set<Variant>
    private let key: String
    private let user: (name: String, password: String)
    let requesters: Set<String>
    private let tokens = TokenBook(prefix: "infraon")

    /// Creates the fake.
    /// - Parameters:
    ///   - apiKey: the API key clients send (bare, or after `ApiKey ` with ``Variant/apiKeyPrefix``).
    ///   - username, password: accepted by the login.
    ///   - requesters: the users incidents may be raised for.
    ///   - variants: real-world behaviours to switch on; default none (the guide's behaviour).
    public init(
        apiKey: String,
        username: String = "ingestor",
        password: String = "infraon-password",
        requesters: Set<String> = ["noc@example.com"],
        variants: Set<Variant> = [],
        ledger: FakeLedger = FakeLedger()
    ) {
        key = apiKey
        user = (username, password)
        self.requesters = requesters
        self.variants = variants
        self.ledger = ledger
    }

    /// Login tokens issued so far.
    public var logins: Int { tokens.issued }

    /// Forgets every login token.
    public func expireTokens() { tokens.revokeAll() }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        if request.method == "POST" && request.path == "/ux/api-token-auth/" { return login(request) }
        let header = request.headers["authorization"] ?? ""
        let expected = variants.contains(.apiKeyPrefix) ? "ApiKey \(key)" : key
        guard header == expected || tokens.isValid(header) else { return error(401, "Invalid API key.") }
        guard request.path.hasPrefix(Self.base) else { return error(404, "Not found.") }
        if ["POST", "PUT"].contains(request.method), !request.declares(["application/json"]) {
            return .json(
                415,
                .object(
                    JSONObject([
                        ("detail", .string("Unsupported media type \"\(request.mediaType ?? "")\" in request."))
                    ])
                )
            )
        }
        let rest = request.path.dropFirst(Self.base.count).split(separator: "/").map(String.init)
        switch (request.method, rest) {
        case ("POST", []): return create(request)
        case ("GET", []): return list(request)
        case ("POST", ["save-rich-text"]): return note(request)
        case ("POST", ["inci_resolve"]): return inciResolve(request)
        case ("GET", let path) where path.count == 1: return get(path[0])
        case ("PUT", let path) where path.count == 1: return put(path[0], request)
        case (_, let path) where path.count <= 1:
            return .json(405, .object(JSONObject([("detail", .string("Method \"\(request.method)\" not allowed."))])))
        default: return error(404, "Not found.")
        }
    }

    public func serverError() -> FakeResponse { error(500, "Internal server error") }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        var response = error(429, "Request was throttled.")
        response.headers["Retry-After"] = String(seconds)
        return response
    }

    func error(_ status: Int, _ message: String) -> FakeResponse {
        .json(status, .object(JSONObject([("error", .string(message))])))
    }

    /// The connector's 200-with-an-error refusal.
    func statusError(_ message: String) -> FakeResponse {
        .json(200, .object(JSONObject([("status", .string("error")), ("msg", .string(message))])))
    }

    private func login(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject, body["username"]?.string?.isEmpty == false else {
            return error(400, "Please provide username.")
        }
        guard body["username"]?.string == user.name, body["password"]?.string == user.password else {
            return error(400, "Unable to log in with provided credentials.")
        }
        return .json(200, .object(JSONObject([("token", .string(tokens.issue()))])))
    }

    /// `{id, name}` for an option list.
    static func options(_ list: [(Int, String)]) -> JSONValue {
        .array(list.map { option($0) })
    }

    static func option(_ entry: (Int, String)) -> JSONValue {
        .object(JSONObject([("id", .number(String(entry.0))), ("name", .string(entry.1))]))
    }

    /// The option lists by field name.
    static let lists: [(String, [(Int, String)])] = [
        ("priority", priorities), ("urgency", urgencies), ("impact", impacts), ("status", statuses),
    ]

    private func list(_ request: FakeRequest) -> FakeResponse {
        let size = Int(request.query["items_per_page"] ?? "10") ?? 0
        let page = Int(request.query["page"] ?? "1") ?? 0
        guard size >= 1, page >= 1 else { return error(400, "items_per_page and page must be positive numbers.") }
        let all = ledger.incidents.reversed().map { document(of: $0) }
        let slice = Array(all.dropFirst((page - 1) * size).prefix(size))
        guard variants.contains(.listEnvelope) else { return .json(200, .array(slice.map(JSONValue.object))) }
        let more = page * size < all.count
        return .json(
            200,
            .object(
                JSONObject([
                    ("count", .number(String(all.count))),
                    ("next", more ? .string("\(Self.base)?items_per_page=\(size)&page=\(page + 1)") : .null),
                    ("previous", page > 1 ? .string("\(Self.base)?items_per_page=\(size)&page=\(page - 1)") : .null),
                    ("results", .array(slice.map(JSONValue.object))),
                ])
            )
        )
    }
}

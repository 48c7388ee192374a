import Normalizer

/// A small REST incident API for the generic HTTP target and its documentation:
///
/// - `POST /oauth/token` — OAuth2 client credentials (form-encoded or multipart) → `{"access_token","expires_in"}`
/// - `POST /api/incidents` — `{title*, external_ref*, description, severity, status, labels}` → 201 `{"data":{"id"}}`
/// - `PATCH /api/incidents/{id}` — any of those fields → 200
/// - `POST /api/incidents/{id}/resolve` — `{note}` → 200
/// - `POST /api/incidents/{id}/comments` — `{body*}` → 201
/// - `GET /api/incidents?external_ref=…[&state=open|resolved]` → `{"items":[…]}`
///
/// Requests need `Authorization: Bearer <token>` (the static token or an issued one). Errors are
/// `{"error":{"code","message"}}`.
public struct FakeGenericAPI: FakeVendorAPI {
    static let severities = ["critical", "high", "medium", "low", "info"]
    static let statuses = ["firing", "acknowledged", "resolved"]
    static let fields: Set<String> = ["title", "external_ref", "description", "severity", "status", "labels", "source"]

    public let ledger: FakeLedger
    private let token: String
    private let client: (id: String, secret: String)
    private let tokens = TokenBook(prefix: "generic")

    /// Creates the fake; `token` is accepted as a bearer token, and `clientID`/`clientSecret` at `/oauth/token`.
    public init(
        token: String,
        clientID: String = "ingestor",
        clientSecret: String = "client-secret",
        ledger: FakeLedger = FakeLedger()
    ) {
        self.token = token
        client = (clientID, clientSecret)
        self.ledger = ledger
    }

    /// Access tokens issued so far.
    public var tokensIssued: Int { tokens.issued }

    /// Forgets every issued token.
    public func expireTokens() { tokens.revokeAll() }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        if request.method == "POST" && request.path == "/oauth/token" { return issueToken(request) }
        let bearer = request.headers["authorization"].flatMap {
            $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil
        }
        guard let bearer, bearer == token || tokens.isValid(bearer) else {
            return error(401, "unauthorized", "a valid bearer token is required")
        }
        let parts = request.path.split(separator: "/").map(String.init)
        switch (request.method, parts) {
        case ("POST", ["api", "incidents"]): return create(request)
        case ("GET", ["api", "incidents"]): return list(request.query["external_ref"], state: request.query["state"])
        case ("PATCH", let path) where path.count == 3 && path.starts(with: ["api", "incidents"]):
            return update(path[2], request)
        case ("POST", let path)
        where path.count == 4 && path.starts(with: ["api", "incidents"]) && path[3] == "resolve":
            return resolve(path[2], request)
        case ("POST", let path)
        where path.count == 4 && path.starts(with: ["api", "incidents"]) && path[3] == "comments":
            return comment(path[2], request)
        default: return error(404, "not_found", "no route \(request.method) \(request.path)")
        }
    }

    public func serverError() -> FakeResponse { error(503, "unavailable", "injected failure") }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        var response = error(429, "rate_limited", "slow down")
        response.headers["Retry-After"] = String(seconds)
        return response
    }

    private func error(_ status: Int, _ code: String, _ message: String) -> FakeResponse {
        .json(
            status,
            .object(
                JSONObject([("error", .object(JSONObject([("code", .string(code)), ("message", .string(message))])))])
            )
        )
    }

    private func issueToken(_ request: FakeRequest) -> FakeResponse {
        let form =
            request.headers["content-type"]?.hasPrefix("multipart/") == true
            ? FakeForm.multipart(request) ?? [:] : FakeForm.urlEncoded(request)
        guard form["grant_type"] == "client_credentials" else {
            return .json(400, .object(JSONObject([("error", .string("unsupported_grant_type"))])))
        }
        guard form["client_id"] == client.id, form["client_secret"] == client.secret else {
            return .json(401, .object(JSONObject([("error", .string("invalid_client"))])))
        }
        return .json(
            200,
            .object(
                JSONObject([
                    ("access_token", .string(tokens.issue())), ("token_type", .string("Bearer")),
                    ("expires_in", .number("3600")),
                ])
            )
        )
    }

    private func validate(_ body: JSONObject) -> FakeResponse? {
        if let unknown = body.keys.first(where: { !Self.fields.contains($0) }) {
            return error(400, "invalid_field", "unknown field \(unknown)")
        }
        if let severity = body["severity"], !Self.severities.contains(severity.string ?? "") {
            return error(400, "invalid_value", "severity must be one of \(Self.severities.joined(separator: ", "))")
        }
        if let status = body["status"], !Self.statuses.contains(status.string ?? "") {
            return error(400, "invalid_value", "status must be one of \(Self.statuses.joined(separator: ", "))")
        }
        if let labels = body["labels"], labels.object?.members.allSatisfy({ $0.value.string != nil }) != true {
            return error(400, "invalid_value", "labels must be an object of strings")
        }
        return nil
    }

    private func create(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "invalid_json", "the body is not a JSON object") }
        guard body["title"]?.string?.isEmpty == false else { return error(400, "missing_field", "title is required") }
        guard let reference = body["external_ref"]?.string, !reference.isEmpty else {
            return error(400, "missing_field", "external_ref is required")
        }
        if let problem = validate(body) { return problem }
        let incident = ledger.create(externalReference: reference, fields: body) { number in
            ("gen-\(number)", "GEN-\(number)")
        }
        return .json(201, .object(JSONObject([("data", render(incident))])))
    }

    private func update(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "invalid_json", "the body is not a JSON object") }
        if let problem = validate(body) { return problem }
        let updated = ledger.modify(id) { incident in
            for (key, value) in body.members { incident.fields[key] = value }
            incident.calls.append("update")
        }
        guard let updated else { return error(404, "not_found", "no incident \(id)") }
        return .json(200, .object(JSONObject([("data", render(updated))])))
    }

    private func resolve(_ id: String, _ request: FakeRequest) -> FakeResponse {
        let note = request.jsonObject?["note"]?.string
        let updated = ledger.modify(id) { incident in
            if !incident.isResolved { incident.calls.append("resolve") }
            incident.isResolved = true
            if let note { incident.fields["resolution_note"] = .string(note) }
        }
        guard let updated else { return error(404, "not_found", "no incident \(id)") }
        return .json(200, .object(JSONObject([("data", render(updated))])))
    }

    private func comment(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let text = request.jsonObject?["body"]?.string, !text.isEmpty else {
            return error(400, "missing_field", "body is required")
        }
        guard ledger.modify(id, { $0.calls.append("comment") }) != nil else {
            return error(404, "not_found", "no incident \(id)")
        }
        return .json(201, .object(JSONObject([("data", .object(JSONObject([("incident_id", .string(id))])))])))
    }

    private func list(_ reference: String?, state: String?) -> FakeResponse {
        let matching = ledger.incidents.filter { incident in
            (reference == nil || incident.externalReference == reference)
                && (state == nil || state == (incident.isResolved ? "resolved" : "open"))
        }
        return .json(200, .object(JSONObject([("items", .array(matching.map(render)))])))
    }

    private func render(_ incident: FakeLedger.Incident) -> JSONValue {
        var object = incident.fields
        object["id"] = .string(incident.id)
        object["state"] = .string(incident.isResolved ? "resolved" : "open")
        return .object(object)
    }
}

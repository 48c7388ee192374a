public import Normalizer

/// A fake Infraon Infinity tenant (CONTRACTS.md §6, shapes after Fortinet's connector): an API key in
/// `Authorization` (the docs show both `ApiKey <key>` and the bare key; the fake takes the form it was built with),
/// or a login at `/ux/api-token-auth/` whose `token` is sent bare; create, GET (`{"incident", "options"}`), a
/// whole-document PUT (fields left out are gone), and notes through `save-rich-text/`. Like Infraon, it answers some
/// refusals with 200 and `{"status": "error", "msg": …}`, and others with 400/401 and `{"error": …}`.
public struct FakeInfraonAPI: FakeVendorAPI {
    static let priorities = [(1, "Critical"), (2, "High"), (3, "Medium"), (4, "Low"), (5, "Very Low")]
    static let urgencies = [(1, "High"), (2, "Medium"), (3, "Low")]
    static let impacts = [(1, "Business"), (2, "Location"), (3, "Department"), (4, "Group"), (5, "User")]
    static let statuses = [(1, "New"), (2, "In Progress"), (3, "On Hold"), (4, "Resolved"), (5, "Closed")]

    public let ledger: FakeLedger
    private let authorization: String
    private let user: (name: String, password: String)
    private let requesters: Set<String>
    private let tokens = TokenBook(prefix: "infraon")

    /// Creates the fake.
    /// - Parameter authorization: the exact `Authorization` value API-key clients must send, e.g. `ApiKey k` or `k`.
    public init(
        authorization: String,
        username: String = "ingestor",
        password: String = "infraon-password",
        requesters: Set<String> = ["noc@example.com"],
        ledger: FakeLedger = FakeLedger()
    ) {
        self.authorization = authorization
        user = (username, password)
        self.requesters = requesters
        self.ledger = ledger
    }

    public var flavor: String { "infraon" }

    /// Login tokens issued so far.
    public var logins: Int { tokens.issued }

    /// Forgets every login token.
    public func expireTokens() { tokens.revokeAll() }

    /// Sets a field outside `basic_info`, as a person working the ticket would.
    public func setField(incident id: String, _ name: String, _ value: JSONValue) {
        _ = ledger.modify(id) { $0.fields[name] = value }
    }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        if request.method == "POST" && request.path == "/ux/api-token-auth/" { return login(request) }
        let header = request.headers["authorization"] ?? ""
        guard header == authorization || tokens.isValid(header) else {
            return .json(401, .object(JSONObject([("error", .string("Invalid API key."))])))
        }
        let base = "/ux/sd/inci/incident/"
        guard request.path.hasPrefix(base) else { return error(404, "Not found.") }
        let rest = request.path.dropFirst(base.count).split(separator: "/").map(String.init)
        switch (request.method, rest) {
        case ("POST", []): return create(request)
        case ("POST", ["save-rich-text"]): return note(request)
        case ("POST", ["inci_resolve"]): return inciResolve(request)
        case ("GET", let path) where path.count == 1: return get(path[0])
        case ("PUT", let path) where path.count == 1: return put(path[0], request)
        default: return error(404, "Not found.")
        }
    }

    public func serverError() -> FakeResponse { error(500, "Internal server error") }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        var response = error(429, "Request was throttled.")
        response.headers["Retry-After"] = String(seconds)
        return response
    }

    private func error(_ status: Int, _ message: String) -> FakeResponse {
        .json(status, .object(JSONObject([("error", .string(message))])))
    }

    private func statusError(_ message: String) -> FakeResponse {
        .json(200, .object(JSONObject([("status", .string("error")), ("msg", .string(message))])))
    }

    private func login(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "Please provide username.") }
        guard body["username"]?.string == user.name, body["password"]?.string == user.password else {
            return error(400, "Unable to log in with provided credentials.")
        }
        return .json(200, .object(JSONObject([("token", .string(tokens.issue()))])))
    }

    private static func options(_ list: [(Int, String)]) -> JSONValue {
        .array(list.map { .object(JSONObject([("id", .number(String($0.0))), ("name", .string($0.1))])) })
    }

    /// Checks `{id, name}` against the option list.
    private func checkOption(_ value: JSONValue?, _ field: String, _ list: [(Int, String)]) -> String? {
        guard let value else { return nil }
        guard let id = value["id"]?.int64, let name = value["name"]?.string,
            list.contains(where: { $0.0 == Int(id) && $0.1 == name })
        else { return "\(field) must be one of the tenant's options {id, name}" }
        return nil
    }

    private func create(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "Invalid JSON") }
        guard body["summary"]?.string?.isEmpty == false else { return statusError("summary is required") }
        guard let requester = body["requester_email"]?.string, requesters.contains(requester) else {
            return statusError("requester_email does not belong to a requester")
        }
        guard body["incident_type"]?["id"]?.int64 == 1, body["incident_type"]?["prefix"]?.string == "inci" else {
            return statusError("incident_type must be {id: 1, name: Incident, prefix: inci}")
        }
        for (field, list) in [("priority", Self.priorities), ("urgency", Self.urgencies), ("impact", Self.impacts)] {
            if let problem = checkOption(body[field], field, list) { return statusError(problem) }
        }
        var info = JSONObject()
        for key in ["summary", "description", "priority", "urgency", "impact"] { info[key] = body[key] }
        info["status"] = .object(JSONObject([("id", .number("1")), ("name", .string("New"))]))
        let document = JSONObject([
            ("basic_info", .object(info)), ("requester_email", .string(requester)),
            ("incident_type", body["incident_type"]!), ("tag", body["tag"] ?? .array([])),
            ("reference", body["reference"] ?? .object(JSONObject())),
        ])
        let incident = ledger.create(
            externalReference: body["reference"]?["ingestor_dedup_key"]?.string,
            fields: document
        ) { number in
            ("64f0c0de\(String(repeating: "0", count: max(0, 16 - String(number).count)))\(number)", "INC-\(number)")
        }
        return .json(
            200,
            .object(
                JSONObject([
                    ("status", .string("success")), ("message", .string("Incident created")),
                    (
                        "data",
                        .object(
                            JSONObject([("id", .string(incident.id)), ("display_id", .string(incident.displayID))])
                        )
                    ),
                ])
            )
        )
    }

    private func get(_ id: String) -> FakeResponse {
        guard let incident = ledger.incident(id) else { return error(404, "Not found.") }
        var document = incident.fields
        document["incident_id"] = .string(incident.id)
        document["display_id"] = .string(incident.displayID)
        return .json(
            200,
            .object(
                JSONObject([
                    ("incident", .object(document)),
                    (
                        "options",
                        .object(
                            JSONObject([
                                ("status", Self.options(Self.statuses)), ("priority", Self.options(Self.priorities)),
                                ("urgency", Self.options(Self.urgencies)), ("impact", Self.options(Self.impacts)),
                            ])
                        )
                    ),
                ])
            )
        )
    }

    private func put(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "Invalid JSON") }
        guard let info = body["basic_info"]?.object, info["summary"]?.string?.isEmpty == false else {
            return statusError("basic_info.summary is required")
        }
        for (field, list) in [
            ("priority", Self.priorities), ("urgency", Self.urgencies), ("impact", Self.impacts),
            ("status", Self.statuses),
        ] {
            if let problem = checkOption(info[field], "basic_info.\(field)", list) { return statusError(problem) }
        }
        guard let old = ledger.incident(id) else { return error(404, "Not found.") }
        let oldPriority = old.fields["basic_info"]?["priority"]?["id"]?.int64
        if let newPriority = info["priority"]?["id"]?.int64, newPriority != oldPriority, body["comment"] == nil {
            return statusError("a priority change needs a comment")
        }
        _ = ledger.modify(id) { incident in
            let resolving = info["status"]?["name"]?.string == "Resolved"
            if resolving && !incident.isResolved {
                incident.calls.append("resolve")
            } else {
                incident.calls.append("update")
            }
            incident.isResolved = resolving
            // The whole document is replaced: what the PUT leaves out is gone.
            var document = body
            document["incident_id"] = nil
            document["display_id"] = nil
            document["comment"] = nil
            document["temp_priority"] = nil
            incident.fields = document
        }
        return .json(200, .object(JSONObject([("status", .string("success")), ("msg", .string("Updated"))])))
    }

    /// `inci_resolve/`: its body is undocumented; the fake takes `{"incident_id": …}` (plus anything else), a guess
    /// that only lets the configurable resolve path be exercised.
    private func inciResolve(_ request: FakeRequest) -> FakeResponse {
        guard let id = request.jsonObject?["incident_id"]?.scalarText else {
            return statusError("incident_id is required")
        }
        let updated = ledger.modify(id) { incident in
            if !incident.isResolved { incident.calls.append("resolve") }
            incident.isResolved = true
            var info = incident.fields["basic_info"]?.object ?? JSONObject()
            info["status"] = .object(JSONObject([("id", .number("4")), ("name", .string("Resolved"))]))
            incident.fields["basic_info"] = .object(info)
        }
        guard updated != nil else { return error(404, "Not found.") }
        return .json(200, .object(JSONObject([("status", .string("success"))])))
    }

    private func note(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject, let id = body["ref_id"]?.string else {
            return error(400, "ref_id is required")
        }
        guard let content = body["rich_text_content"]?.object, content["description"]?.string?.isEmpty == false else {
            return statusError("rich_text_content.description is required")
        }
        guard ["Add Notes", "Priority Change"].contains(content["type"]?.string ?? "") else {
            return statusError("rich_text_content.type is not valid")
        }
        let updated = ledger.modify(id) { incident in
            incident.calls.append("comment")
            var notes = incident.fields["notes"]?.array ?? []
            notes.append(content["description"]!)
            incident.fields["notes"] = .array(notes)
        }
        guard updated != nil else { return error(404, "Not found.") }
        return .json(
            200,
            .object(
                JSONObject([("status", .string("success")), ("data", .object(JSONObject([("ref_id", .string(id))])))])
            )
        )
    }
}

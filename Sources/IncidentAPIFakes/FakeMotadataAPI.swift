import Normalizer

/// A fake Motadata ServiceOps server (CONTRACTS.md §2): the OAuth2 password grant at `/api/oauth/token` (HTTP Basic
/// client credentials, multipart form), `Authorization: Apikey …` or `Bearer …`, the current request API
/// (`/api/v1/request`, PATCH, conversations) and the legacy incident API (`/api/v1/incident`, POST updates,
/// upper-case enums, the `returnCode` envelope). It refuses what the documents say the real one refuses: missing
/// `subject` or `requesterEmail`, unknown requesters, enum values outside the lists, unknown conversation types.
///
/// Error bodies are not documented; the fake answers `{"userMessage": …}` (and Spring's `{"error",
/// "error_description"}` for OAuth), an INFERRED shape.
public struct FakeMotadataAPI: FakeVendorAPI {
    static let names = ["Low", "Medium", "High", "Urgent"]
    static let impacts = ["Low", "On User", "On department", "On Business"]
    static let statuses = ["Open", "In Progress", "Pending", "Resolved", "Closed"]
    static let legacyLevels = ["LOW", "MEDIUM", "HIGH", "URGENT"]
    static let legacyImpacts = ["LOW", "ONUSER", "ONDEPARTMENT", "ONBUSINESS"]
    static let conversationTypes = ["note", "collaborate", "technician_to_requester", "requestor_to_technician"]

    public let ledger: FakeLedger
    private let apiKey: String
    private let client: (id: String, secret: String)
    private let user: (name: String, password: String)
    private let requesters: Set<String>
    private let tokens: TokenBook
    private let echoesCredentials: Bool

    /// Creates the fake.
    /// - Parameters:
    ///   - apiKey: accepted as `Authorization: Apikey <apiKey>`.
    ///   - clientID, clientSecret, username, password: accepted by the password grant.
    ///   - requesters: the users incidents may be raised for.
    ///   - echoesCredentials: put the refused password and client credentials in the error body, as careless
    ///     servers do, so tests can prove ingestor redacts them.
    public init(
        apiKey: String,
        clientID: String = "ingestor-client",
        clientSecret: String = "client-secret",
        username: String = "ingestor@example.com",
        password: String = "user-password",
        requesters: Set<String> = ["ingestor@example.com"],
        echoesCredentials: Bool = false,
        ledger: FakeLedger = FakeLedger()
    ) {
        self.echoesCredentials = echoesCredentials
        self.apiKey = apiKey
        client = (clientID, clientSecret)
        user = (username, password)
        self.requesters = requesters
        self.ledger = ledger
        tokens = TokenBook(prefix: "motadata")
    }

    public var flavor: String { "motadata" }

    /// Access tokens issued so far.
    public var tokensIssued: Int { tokens.issued }

    /// Forgets every issued token, as a server restart or expiry would.
    public func expireTokens() { tokens.revokeAll() }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        if request.method == "POST" && request.path == "/api/oauth/token" { return token(request) }
        let authorization = request.headers["authorization"] ?? ""
        let authorized =
            authorization == "Apikey \(apiKey)"
            || (authorization.hasPrefix("Bearer ") && tokens.isValid(String(authorization.dropFirst(7))))
        guard authorized else {
            return .json(
                401,
                .object(
                    JSONObject([
                        ("error", .string("invalid_token")),
                        ("error_description", .string("Full authentication is required to access this resource")),
                    ])
                )
            )
        }
        let parts = request.path.split(separator: "/").map(String.init)
        switch (request.method, parts) {
        case ("POST", ["api", "v1", "request"]): return createRequest(request)
        case ("PATCH", let path) where path.count == 4 && path.starts(with: ["api", "v1", "request"]):
            return updateRequest(id: path[3], request)
        case ("GET", let path) where path.count == 4 && path.starts(with: ["api", "v1", "request"]):
            return get(path[3], legacy: false)
        case ("POST", let path)
        where path.count == 5 && path.starts(with: ["api", "v1", "request"])
            && path[4] == "conversation":
            return conversation(id: path[3], request)
        case ("POST", ["api", "v1", "incident"]): return createIncident(request)
        case ("POST", let path) where path.count == 4 && path.starts(with: ["api", "v1", "incident"]):
            return updateIncident(id: path[3], request)
        case ("GET", let path) where path.count == 4 && path.starts(with: ["api", "v1", "incident"]):
            return get(path[3], legacy: true)
        default:
            return error(404, "no route \(request.method) \(request.path)")
        }
    }

    public func serverError() -> FakeResponse { error(500, "injected failure") }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        var response = error(429, "too many requests")
        response.headers["Retry-After"] = String(seconds)
        return response
    }

    private func error(_ status: Int, _ message: String) -> FakeResponse {
        .json(status, .object(JSONObject([("userMessage", .string(message))])))
    }

    // MARK: - OAuth

    private func token(_ request: FakeRequest) -> FakeResponse {
        func refused(_ description: String) -> FakeResponse {
            .json(
                401,
                .object(JSONObject([("error", .string("invalid_grant")), ("error_description", .string(description))]))
            )
        }
        let expected = "Basic " + FakeForm.base64("\(client.id):\(client.secret)")
        guard request.headers["authorization"] == expected else {
            return refused(
                echoesCredentials
                    ? "bad client credentials: \(request.headers["authorization"] ?? "")" : "bad client credentials"
            )
        }
        guard request.headers["content-type"]?.hasPrefix("multipart/form-data") == true,
            let form = FakeForm.multipart(request)
        else {
            return .json(400, .object(JSONObject([("error", .string("invalid_request"))])))
        }
        guard form["grant_type"] == "password" else {
            return .json(400, .object(JSONObject([("error", .string("unsupported_grant_type"))])))
        }
        guard form["username"] == user.name, form["password"] == user.password else {
            // Some servers echo what they were sent; with `echoesCredentials` the fake does, to prove redaction.
            return refused(
                echoesCredentials
                    ? "Bad credentials: password=\(form["password"] ?? "") client=\(request.headers["authorization"] ?? "")"
                    : "Bad credentials"
            )
        }
        let token = tokens.issue()
        return .json(
            200,
            .object(
                JSONObject([
                    ("access_token", .string(token)), ("token_type", .string("bearer")),
                    ("refresh_token", .string("refresh-\(token)")), ("expires_in", .number("7199")),
                    ("scope", .string("other-api-scope")), ("jti", .string("jti-\(token)")),
                ])
            )
        )
    }

    // MARK: - Request API (current)

    private func validateRequest(_ body: JSONObject, creating: Bool) -> FakeResponse? {
        if creating || body["subject"] != nil {
            guard let subject = body["subject"]?.string, !subject.isEmpty else {
                return error(400, "Subject is required")
            }
        }
        if creating {
            guard let requester = body["requesterEmail"]?.string else {
                return error(400, "requesterEmail is required")
            }
            guard requesters.contains(requester) else { return error(400, "Requester \(requester) does not exist") }
        }
        for (field, allowed) in [
            ("priorityName", Self.names), ("urgencyName", Self.names), ("impactName", Self.impacts),
            ("statusName", Self.statuses),
        ] {
            if let value = body[field] {
                guard let text = value.string, allowed.contains(text) else {
                    return error(
                        400,
                        "\(field) \(value.scalarText ?? "?") is not one of \(allowed.joined(separator: ", "))"
                    )
                }
            }
        }
        if let tags = body["tags"], tags.array?.allSatisfy({ $0.string != nil }) != true {
            return error(400, "tags must be a list of strings")
        }
        return nil
    }

    private func createRequest(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "the body is not JSON") }
        if let problem = validateRequest(body, creating: true) { return problem }
        var fields = body
        fields["statusName"] = .string("Open")
        let reference = body["customField"]?.object?.members.first?.value.string
        let incident = ledger.create(externalReference: reference, fields: fields) { number in
            (String(number + 40), "INC-\(number + 40)")
        }
        return .json(200, render(incident, legacy: false))
    }

    private func updateRequest(id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "the body is not JSON") }
        // The docs mark `subject` compulsory even on PATCH.
        guard body["subject"] != nil else { return error(400, "Subject is required") }
        if let problem = validateRequest(body, creating: false) { return problem }
        let updated = ledger.modify(id) { incident in
            for (key, value) in body.members { incident.fields[key] = value }
            let resolving = ["Resolved", "Closed"].contains(body["statusName"]?.string ?? "")
            let reopening = body["statusName"] != nil && !resolving && incident.isResolved
            incident.calls.append(resolving && !incident.isResolved ? "resolve" : reopening ? "reopen" : "update")
            if body["statusName"] != nil { incident.isResolved = resolving }
        }
        guard let updated else { return error(404, "Request \(id) not found") }
        return .json(200, render(updated, legacy: false))
    }

    private func conversation(id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "the body is not JSON") }
        guard let type = body["conversationType"]?.string, Self.conversationTypes.contains(type) else {
            return error(400, "conversationType must be one of \(Self.conversationTypes.joined(separator: ", "))")
        }
        guard let details = body["details"]?.string, !details.isEmpty else { return error(400, "details is required") }
        let updated = ledger.modify(id) { incident in
            incident.calls.append("comment")
            var notes = incident.fields["notes"]?.array ?? []
            notes.append(.string(details))
            incident.fields["notes"] = .array(notes)
        }
        guard let updated else { return error(404, "Request \(id) not found") }
        return .json(
            200,
            .object(
                JSONObject([
                    ("id", .number(String(updated.fields["notes"]?.array?.count ?? 1))),
                    ("conversationType", .string(type)), ("details", .string(details)),
                ])
            )
        )
    }

    // MARK: - Incident API (legacy)

    private func validateIncident(_ body: JSONObject) -> FakeResponse? {
        for (field, allowed) in [
            ("priority", Self.legacyLevels), ("urgency", Self.legacyLevels), ("impact", Self.legacyImpacts),
        ] {
            if let value = body[field] {
                guard let text = value.string, allowed.contains(text) else {
                    return legacyFailure(
                        "\(field) \(value.scalarText ?? "?") is not one of \(allowed.joined(separator: ", "))"
                    )
                }
            }
        }
        return nil
    }

    private func legacyFailure(_ message: String) -> FakeResponse {
        .json(
            400,
            .object(
                JSONObject([
                    ("returnCode", .string("FAILURE")), ("status", .number("1")), ("userMessage", .string(message)),
                ])
            )
        )
    }

    private func legacySuccess(_ id: String) -> FakeResponse {
        .json(
            200,
            .object(
                JSONObject([
                    ("returnCode", .string("SUCCESS")), ("status", .number("0")), ("userMessage", .null),
                    ("id", .number(id)),
                ])
            )
        )
    }

    private func createIncident(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return legacyFailure("the body is not JSON") }
        guard body["subject"]?.string?.isEmpty == false else { return legacyFailure("subject is required") }
        guard let requester = body["requesterEmail"]?.string else { return legacyFailure("requesterEmail is required") }
        guard requesters.contains(requester) else { return legacyFailure("requester \(requester) does not exist") }
        guard body["categoryName"]?.string != nil else { return legacyFailure("categoryName is required") }
        if let problem = validateIncident(body) { return problem }
        var fields = body
        fields["status"] = .string("Open")
        let reference = body["customFieldValueDetails"]?.object?.members.first?.value["stringValue"]?.string
        let incident = ledger.create(externalReference: reference, fields: fields) { number in
            (String(number), "INC-\(number)")
        }
        return legacySuccess(incident.id)
    }

    private func updateIncident(id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return legacyFailure("the body is not JSON") }
        if let problem = validateIncident(body) { return problem }
        let updated = ledger.modify(id) { incident in
            for (key, value) in body.members { incident.fields[key] = value }
            let resolving = body["status"]?.string == "Resolved"
            let reopening = body["status"] != nil && !resolving && incident.isResolved
            incident.calls.append(resolving && !incident.isResolved ? "resolve" : reopening ? "reopen" : "update")
            if body["status"] != nil { incident.isResolved = resolving }
        }
        guard updated != nil else {
            return .json(404, .object(JSONObject([("userMessage", .string("no incident \(id)"))])))
        }
        return legacySuccess(id)
    }

    private func get(_ id: String, legacy: Bool) -> FakeResponse {
        guard let incident = ledger.incident(id) else { return error(404, "not found") }
        return .json(200, render(incident, legacy: legacy))
    }

    private func render(_ incident: FakeLedger.Incident, legacy: Bool) -> JSONValue {
        var object = incident.fields
        if !legacy {
            object["id"] = .number(incident.id)
            object["name"] = .string(incident.displayID)
        }
        return .object(object)
    }
}

import Normalizer

/// A fake Motadata ServiceOps server that follows Motadata's "Update an Incident" page (the seed document) and the
/// pages of the same documentation it points to (create, get, authorization):
///
/// - `Authorization: Bearer <access token>` from the OAuth2 password grant at `/api/oauth/token` (HTTP Basic client
///   credentials, multipart form), `Content-Type: application/json` on every body.
/// - `POST {{server-url}}/api/v1/incident/{{Incident-Id}}` updates — also under `/api/incident/{id}`, the path of
///   the page's curl example — taking only the page's fields (`subject`, `description`, `categoryName`, `impact`,
///   `priority`, `urgency`, `locationName`, `tags`, `spam`, `status`, `attachmentsRefNames`,
///   `customFieldValueDetails`) with upper-case enums (`LOW`, `ONUSER`, …), and answering the
///   `{"returnCode": "SUCCESS", "status": 0, "userMessage": null, "id": …}` envelope.
/// - `POST /api/v1/incident` creates (`subject`, `categoryName` and `requesterEmail` required) and `GET
///   /api/v1/incident/{id}` (an object without `id`).
///
/// With ``Variant/requestAPI`` it also serves ServiceOps 8.x's request API (`/api/v1/request`, PATCH, display-name
/// enums, conversations) and takes `Authorization: Apikey <key>`. It refuses what the documents say the real one
/// refuses: missing `subject` or `requesterEmail`, unknown requesters, enum values outside the lists, unknown
/// fields and conversation types. Error bodies are not documented; the fake answers `{"userMessage": …}` (and
/// Spring's `{"error", "error_description"}` for OAuth), an inferred shape.
public struct FakeMotadataAPI: FakeVendorAPI {
    /// Generations and forms beyond the page.
    public enum Variant: String, Sendable, CaseIterable {
        /// ServiceOps 8.x's request API, with `Apikey` keys.
        case requestAPI = "request-api"
    }

    static let names = ["Low", "Medium", "High", "Urgent"]
    static let impacts = ["Low", "On User", "On department", "On Business"]
    static let statuses = ["Open", "In Progress", "Pending", "Resolved", "Closed"]
    /// The fields the "Update an Incident" page lists.
    static let updateFields: Set<String> = [
        "subject", "description", "categoryName", "impact", "priority", "urgency", "locationName", "tags", "spam",
        "status", "attachmentsRefNames", "customFieldValueDetails",
    ]
    /// The fields the create page lists.
    static let createFields: Set<String> = [
        "subject", "categoryName", "requesterEmail", "ccEmailSet", "tags", "impact", "priority", "urgency",
        "description", "requesterName", "locationName", "attachmentsRefNames", "customFieldValueDetails",
    ]
    static let legacyLevels = ["LOW", "MEDIUM", "HIGH", "URGENT"]
    static let legacyImpacts = ["LOW", "ONUSER", "ONDEPARTMENT", "ONBUSINESS"]
    static let conversationTypes = ["note", "collaborate", "technician_to_requester", "requestor_to_technician"]

    public let ledger: FakeLedger
    private let apiKey: String
    private let client: (id: String, secret: String)
    private let user: (name: String, password: String)
    let requesters: Set<String>
    private let tokens: TokenBook
    private let echoesCredentials: Bool
    let variants: Set<Variant>

    /// Creates the fake.
    /// - Parameters:
    ///   - apiKey: accepted as `Authorization: Apikey <apiKey>` with ``Variant/requestAPI``.
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
        variants: Set<Variant> = [],
        ledger: FakeLedger = FakeLedger()
    ) {
        self.variants = variants
        self.echoesCredentials = echoesCredentials
        self.apiKey = apiKey
        client = (clientID, clientSecret)
        user = (username, password)
        self.requesters = requesters
        self.ledger = ledger
        tokens = TokenBook(prefix: "motadata")
    }

    /// Access tokens issued so far.
    public var tokensIssued: Int { tokens.issued }

    /// Forgets every issued token, as a server restart or expiry would.
    public func expireTokens() { tokens.revokeAll() }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        if request.method == "POST" && request.path == "/api/oauth/token" { return token(request) }
        let authorization = request.headers["authorization"] ?? ""
        let requestAPI = variants.contains(.requestAPI)
        let authorized =
            (requestAPI && authorization == "Apikey \(apiKey)")
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
        if request.method != "GET", !request.declares(["application/json"]) {
            return error(415, "Content type '\(request.mediaType ?? "")' not supported")
        }
        var parts = request.path.split(separator: "/").map(String.init)
        // The page's curl example posts to /api/incident/{id}, without v1.
        if parts.starts(with: ["api", "incident"]) { parts.insert("v1", at: 1) }
        switch (request.method, parts) {
        case ("POST", ["api", "v1", "incident"]): return createIncident(request)
        case ("POST", let path) where path.count == 4 && path.starts(with: ["api", "v1", "incident"]):
            return updateIncident(id: path[3], request)
        case ("GET", let path) where path.count == 4 && path.starts(with: ["api", "v1", "incident"]):
            return get(path[3], legacy: true)
        case (_, let path) where requestAPI && path.starts(with: ["api", "v1", "request"]):
            return requestRoute(request, path)
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

    func error(_ status: Int, _ message: String) -> FakeResponse {
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
}

import Normalizer

/// A fake ServiceNow instance that follows the Table API reference
/// (https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI, "Create an incident record",
/// https://www.servicenow.com/docs/r/yokohama/api-reference/rest-api-explorer/t_GetStartedCreateInt.html) and
/// "OAuth API request parameters"
/// (https://docs.servicenow.com/bundle/xanadu-platform-security/page/administer/security/reference/r_OAuthAPIRequestParameters.html):
///
/// - credentials: HTTP Basic for the API user, or a bearer token from `POST /oauth_token.do`, whose body must be
///   `application/x-www-form-urlencoded` ("A content-type of application/json results in an unspecified error")
///   with `grant_type` `password` (and `username`, `password`) or `client_credentials`, and `client_id`,
///   `client_secret`;
/// - `POST /api/now/table/incident` (or `/api/now/v1/table/incident`) answers 201 `{"result": {…}}` with a
///   `Location` header; `PATCH …/{sys_id}` answers 200 `{"result": {…}}`; `GET …?sysparm_query=…` answers
///   `{"result": […]}`; bodies must be `application/json` (else 415) and `Accept` must allow JSON (else 406);
/// - like an instance, it ignores fields the table does not have and query terms on them, cuts `correlation_id`
///   to its 100 characters, appends `work_notes` and `comments` to the journal instead of storing them, and
///   computes `priority` from `urgency` and `impact`;
/// - the default data policy: state 6 (Resolved) or 7 (Closed) without `close_code` and `close_notes` is refused
///   with 403 "Data Policy Exception";
/// - errors are `{"error": {"message", "detail"}, "status": "failure"}`; 429s carry `Retry-After` and the
///   `X-RateLimit-*` headers of the instance's rate limit rules.
public struct FakeServiceNowAPI: FakeVendorAPI {
    /// The `incident` table's fields the fake keeps (the rest are ignored, as an instance ignores unknown fields).
    static let fields: Set<String> = [
        "short_description", "description", "urgency", "impact", "state", "correlation_id", "correlation_display",
        "caller_id", "assignment_group", "category", "close_code", "close_notes", "assigned_to",
    ]
    /// `close_code` choices: the ones of current releases and of releases before Utah.
    public static let closeCodes: Set<String> = [
        "Solution provided", "Workaround provided", "Resolved by caller", "Resolved by change", "Resolved by problem",
        "Resolved by request", "Known error", "Duplicate", "User error", "No resolution provided",
        "Solved (Permanently)", "Solved (Work Around)", "Solved Remotely (Permanently)",
        "Solved Remotely (Work Around)",
        "Not Solved (Not Reproducible)", "Not Solved (Too Costly)", "Closed/Resolved by Caller",
    ]

    public let ledger: FakeLedger
    let user: (name: String, password: String)
    let client: (id: String, secret: String)
    private let tokens = TokenBook(prefix: "servicenow")

    /// Creates the fake: the API user `user`/`password` (Basic and the password grant) and the OAuth client.
    public init(
        user: String = "ingestor",
        password: String = "user-password",
        clientID: String = "ingestor-client",
        clientSecret: String = "client-secret",
        ledger: FakeLedger = FakeLedger()
    ) {
        self.user = (user, password)
        client = (clientID, clientSecret)
        self.ledger = ledger
    }

    /// Access tokens issued so far.
    public var tokensIssued: Int { tokens.issued }

    /// Forgets every issued token (they expire after 30 minutes on an instance).
    public func expireTokens() { tokens.revokeAll() }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        if request.path == "/oauth_token.do" { return token(request) }
        guard authenticated(request) else {
            return error(401, "User Not Authenticated", "Required to provide Auth information")
        }
        let parts = request.path.split(separator: "/").map(String.init)
        let table: [String]
        switch parts.prefix(4) {
        case ["api", "now", "table", "incident"]: table = Array(parts.dropFirst(4))
        case ["api", "now", "v1", "table"] where parts.count > 4 && parts[4] == "incident":
            table = Array(parts.dropFirst(5))
        default: return error(400, "Requested URI does not represent any resource", request.path)
        }
        if let accept = request.headers["accept"],
            !["application/json", "*/*", "application/*"].contains(where: accept.contains)
        {
            return error(406, "Not acceptable", "The endpoint answers application/json or application/xml")
        }
        if request.method != "GET", !request.declares(["application/json"]) {
            return error(415, "Unsupported media type", "Content-Type must be application/json")
        }
        switch (request.method, table.count) {
        case ("POST", 0): return create(request)
        case ("GET", 0): return query(request)
        case ("GET", 1): return get(table[0])
        case ("PATCH", 1), ("PUT", 1): return patch(table[0], request)
        default: return error(405, "Method not Supported", "\(request.method) is not supported for this resource")
        }
    }

    public func serverError() -> FakeResponse {
        error(500, "Internal server error", "An error occurred while processing the request")
    }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        var response = error(429, "Too Many Requests", "Rate limit exceeded for the user")
        response.headers["Retry-After"] = String(seconds)
        response.headers["X-RateLimit-Limit"] = "1000"
        response.headers["X-RateLimit-Rule"] = "e6b2b1e0db7101101234567890abcdef"
        return response
    }

    /// ServiceNow's error envelope.
    func error(_ status: Int, _ message: String, _ detail: String?) -> FakeResponse {
        .json(
            status,
            .object(
                JSONObject([
                    (
                        "error",
                        .object(
                            JSONObject([
                                ("message", .string(message)), ("detail", detail.map(JSONValue.string) ?? .null),
                            ])
                        )
                    ),
                    ("status", .string("failure")),
                ])
            )
        )
    }

    private func authenticated(_ request: FakeRequest) -> Bool {
        guard let value = request.headers["authorization"] else { return false }
        if value.hasPrefix("Bearer ") { return tokens.isValid(String(value.dropFirst(7))) }
        return value == "Basic " + FakeForm.base64("\(user.name):\(user.password)")
    }

    /// `POST /oauth_token.do`: the password or client-credentials grant, url-encoded.
    private func token(_ request: FakeRequest) -> FakeResponse {
        let refused = FakeResponse.json(
            401,
            .object(JSONObject([("error_description", .string("access_denied")), ("error", .string("server_error"))]))
        )
        guard request.method == "POST", request.declares(["application/x-www-form-urlencoded"]) else {
            return refused
        }
        let form = FakeForm.urlEncoded(request)
        guard form["client_id"] == client.id, form["client_secret"] == client.secret else { return refused }
        var answer = JSONObject([
            ("access_token", .string(tokens.issue())), ("scope", .string("useraccount")),
            ("token_type", .string("Bearer")), ("expires_in", .number("1799")),
        ])
        switch form["grant_type"] {
        case "password":
            guard form["username"] == user.name, form["password"] == user.password else { return refused }
            answer["refresh_token"] = .string("servicenow-refresh-\(tokens.issued)")
        case "client_credentials": break
        default: return refused
        }
        return .json(200, .object(answer))
    }
}

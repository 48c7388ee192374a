import Normalizer

/// A fake Symantec ServiceDesk 8.5 REST API under `/ServiceDeskApi` that follows Broadcom's "ServiceDesk - API -
/// Incident" page (the seed document):
///
/// - `POST api/incident`, `PUT`, `PATCH` and `GET api/incident/{incidentSessionId}`, bodies `application/json` or
///   `text/json` ("Request Formats"), carrying only the fields of the `Incident` object (names matched without
///   regard to case, as ASP.NET binds them).
/// - `AffectedUserEmail` is required and must be a known user; `Priority`, `Impact` and `Urgency` must be values the
///   instance defines; `AffectedLocationId` and `AffectedDepartmentId` must be GUIDs.
/// - A PUT modifies the fields it carries — title, description, impact/urgency, classification and the like — and
///   never the workflow state; `Status` is read-only.
/// - A PATCH resolves: `Resolution` and `CloseCode` are required, all other fields ignored, and only an incident in
///   its work/resolve state can be resolved.
///
/// Authentication follows the page's companions ("ServiceDesk - API - Authorization", "Configuring"): a login at
/// `api/authorization/token` answering a bare GUID string (403 on failure), then `Authorization: token <GUID>`
/// sessions that can expire (403, as ProcessManager sessions do); with `apiEnabled` false every call is 403, as with
/// the shipped `ApiEnabled=false`. The page documents no create answer and no error body: the fake answers the
/// `Incident` (or, with ``Variant/guidAnswer``, the bare session GUID) and ASP.NET's `{"Message": …}`.
public struct FakeSymantecAPI: FakeVendorAPI {
    /// Answers the page leaves open, as some instances give them.
    public enum Variant: String, Sendable, CaseIterable {
        /// The create answers the new incident's session id as a bare JSON string instead of the `Incident`.
        case guidAnswer = "guid-answer"
    }

    static let priorities = ["Emergency", "Urgent", "High", "Normal", "Minor", "Low"]
    static let impacts = ["Department/LOB/Branch", "Small group or VIP", "Single User"]
    static let urgencies = ["Core business service", "Support service", "Non-urgent services"]
    /// Close codes the fake instance defines.
    public static let closeCodes = ["Resolved", "No Fault Found", "Monitoring Cleared"]
    /// The fields of the `Incident` object, lower-cased, and the camelCase spelling the page's JSON sample uses.
    static let fields: [String: String] = Dictionary(
        uniqueKeysWithValues: [
            "sessionId", "processId", "incidentName", "incidentDescription", "incidentType", "affectedUserEmail",
            "classification", "impact", "urgency", "priority", "affectedLocationId", "affectedDepartmentId", "status",
            "resolution", "closeCode",
        ].map { ($0.lowercased(), $0) }
    )

    public let ledger: FakeLedger
    let variants: Set<Variant>
    private let user: (name: String, password: String)
    let users: Set<String>
    private let apiEnabled: Bool
    private let sessions = TokenBook(prefix: "sd")

    /// Creates the fake.
    public init(
        username: String = "svc-ingestor",
        password: String = "sd-password",
        users: Set<String> = ["noc@example.com"],
        apiEnabled: Bool = true,
        variants: Set<Variant> = [],
        ledger: FakeLedger = FakeLedger()
    ) {
        user = (username, password)
        self.users = users
        self.apiEnabled = apiEnabled
        self.variants = variants
        self.ledger = ledger
    }

    /// Sessions opened so far.
    public var logins: Int { sessions.issued }

    /// Ends every session, as ProcessManager's session timeout would.
    public func expireSessions() { sessions.revokeAll() }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        guard apiEnabled else { return message(403, "The API is disabled (ApiEnabled is false).") }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.starts(with: ["ServiceDeskApi", "api"]) else { return message(404, "No HTTP resource was found") }
        let route = Array(parts.dropFirst(2))
        if request.method == "POST" && route == ["authorization", "token"] { return login(request) }
        guard let header = request.headers["authorization"], header.hasPrefix("token "),
            sessions.isValid(String(header.dropFirst(6)))
        else { return message(403, "Authorization has been denied for this request.") }
        if request.method != "GET", !request.declares(["application/json", "text/json"]) {
            return message(415, "The request entity's media type is not supported for this resource.")
        }
        switch (request.method, route) {
        case ("POST", ["incident"]): return create(request)
        case ("GET", let path) where path.count == 2 && path[0] == "incident": return get(path[1])
        case ("PUT", let path) where path.count == 2 && path[0] == "incident": return put(path[1], request)
        case ("PATCH", let path) where path.count == 2 && path[0] == "incident": return resolve(path[1], request)
        default: return message(404, "No HTTP resource was found that matches the request URI")
        }
    }

    public func serverError() -> FakeResponse { message(500, "An error has occurred.") }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        var response = message(503, "The service is unavailable.")
        response.headers["Retry-After"] = String(seconds)
        return response
    }

    func message(_ status: Int, _ text: String) -> FakeResponse {
        .json(status, .object(JSONObject([("Message", .string(text))])))
    }

    private func login(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject, body["username"]?.string == user.name,
            body["password"]?.string == user.password
        else { return message(403, "Authentication failed.") }
        // A GUID-shaped session id.
        let guid = sessions.issue { number in
            let hex = String(FNV1a.hash("session-\(number)"), radix: 16)
            let padded = String(repeating: "0", count: max(0, 32 - hex.count)) + hex
            return [
                padded.prefix(8), padded.dropFirst(8).prefix(4), padded.dropFirst(12).prefix(4),
                padded.dropFirst(16).prefix(4), padded.dropFirst(20),
            ].joined(separator: "-")
        }
        return .json(200, .string(guid))
    }
}

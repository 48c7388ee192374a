import Normalizer

/// A fake Symantec ServiceDesk 8.5 REST API under `/ServiceDeskApi` (CONTRACTS.md §5): the token login (a bare
/// GUID string, 403 on failure), `Authorization: token <GUID>` sessions that can expire (403, as ProcessManager
/// sessions do), create, PUT for fields, PATCH with `resolution` and `closeCode` to resolve (only from a working
/// state), and GET. It refuses an unknown affected user, values outside the instance's priority, impact and
/// urgency lists, and a resolve without both fields. With `apiEnabled` false every call is 403, as with the
/// shipped `ApiEnabled=false`.
///
/// The create answer and error bodies are not documented; the fake returns the `Incident` object and ASP.NET's
/// `{"Message": …}` (INFERRED).
public struct FakeSymantecAPI: FakeVendorAPI {
    static let priorities = ["Emergency", "Urgent", "High", "Normal", "Minor", "Low"]
    static let impacts = ["Department/LOB/Branch", "Small group or VIP", "Single User"]
    static let urgencies = ["Core business service", "Support service", "Non-urgent services"]
    /// Close codes the fake instance defines.
    public static let closeCodes = ["Resolved", "No Fault Found", "Monitoring Cleared"]

    public let ledger: FakeLedger
    private let user: (name: String, password: String)
    private let users: Set<String>
    private let apiEnabled: Bool
    private let sessions = TokenBook(prefix: "sd")

    /// Creates the fake.
    public init(
        username: String = "svc-ingestor",
        password: String = "sd-password",
        users: Set<String> = ["noc@example.com"],
        apiEnabled: Bool = true,
        ledger: FakeLedger = FakeLedger()
    ) {
        user = (username, password)
        self.users = users
        self.apiEnabled = apiEnabled
        self.ledger = ledger
    }

    public var flavor: String { "symantec" }

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

    private func message(_ status: Int, _ text: String) -> FakeResponse {
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

    private func validate(_ body: JSONObject) -> FakeResponse? {
        guard body["incidentName"]?.string?.isEmpty == false else { return message(400, "IncidentName is required.") }
        guard let user = body["affectedUserEmail"]?.string, users.contains(user) else {
            return message(400, "AffectedUserEmail does not match a ServiceDesk user.")
        }
        for (field, allowed) in [("priority", Self.priorities), ("impact", Self.impacts), ("urgency", Self.urgencies)] {
            if let value = body[field], !allowed.contains(value.string ?? "") {
                return message(400, "\(field) \(value.scalarText ?? "?") is not a configured value.")
            }
        }
        return nil
    }

    private func create(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return message(400, "The request is invalid.") }
        if let problem = validate(body) { return problem }
        var fields = body
        fields["status"] = .string("Assigned")
        let incident = ledger.create(externalReference: nil, fields: fields) { number in
            let digits = String(number)
            return (
                "5e1d0c3b-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits,
                "IM-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
            )
        }
        return .json(200, render(incident))
    }

    private func get(_ id: String) -> FakeResponse {
        guard let incident = ledger.incident(id) else { return message(404, "Incident not found.") }
        return .json(200, render(incident))
    }

    private func put(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return message(400, "The request is invalid.") }
        if let problem = validate(body) { return problem }
        let updated = ledger.modify(id) { incident in
            let old = incident.fields["incidentDescription"]?.string ?? ""
            let new = body["incidentDescription"]?.string ?? ""
            let appended =
                new.hasPrefix(old) && new.count > old.count && body["incidentName"] == incident.fields["incidentName"]
            // PUT never changes the workflow state.
            for key in ["incidentName", "incidentDescription", "impact", "urgency", "priority", "classification"] {
                if let value = body[key] { incident.fields[key] = value }
            }
            incident.calls.append(appended ? "comment" : "update")
        }
        guard let updated else { return message(404, "Incident not found.") }
        return .json(200, render(updated))
    }

    private func resolve(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject, body["resolution"]?.string?.isEmpty == false,
            let code = body["closeCode"]?.string
        else { return message(400, "Resolution and CloseCode are required.") }
        guard Self.closeCodes.contains(code) else { return message(400, "CloseCode \(code) is not defined.") }
        guard let incident = ledger.incident(id) else { return message(404, "Incident not found.") }
        guard !incident.isResolved else { return message(400, "The incident is not in the work/resolve state.") }
        let updated = ledger.modify(id) { incident in
            incident.isResolved = true
            incident.fields["status"] = .string("Resolved")
            incident.fields["resolution"] = body["resolution"]
            incident.fields["closeCode"] = .string(code)
            incident.calls.append("resolve")
        }
        return .json(200, render(updated!))
    }

    private func render(_ incident: FakeLedger.Incident) -> JSONValue {
        var object = incident.fields
        object["sessionId"] = .string(incident.id)
        object["processId"] = .string(incident.displayID)
        return .object(object)
    }
}

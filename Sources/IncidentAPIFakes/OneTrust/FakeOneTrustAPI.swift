import Normalizer

/// A fake OneTrust Incident Management tenant that follows OneTrust's "Update Incident" reference (the seed
/// document) and its OpenAPI spec: OAuth2 client credentials at `/api/access/v1/oauth/token` (multipart form),
/// `Authorization: Bearer` tokens, `Content-Type: application/json` bodies, create (201 with a bare UUID string),
/// GET, PUT as a **full replacement** — every field the request leaves out is gone, and an attribute left out is
/// emptied, as the reference says — workflow stage moves, and full-text search. It refuses missing
/// `name`/`incidentTypeName`/`orgGroupId`, another organization, unknown incident types, fields and attributes,
/// jurisdictions without `countryCode` (or without `stateProvinceCode` for USA and CAN), and stage names outside the
/// workflow.
///
/// The incident it answers carries `jurisdictions` (the spec lists them on the incident an update answers,
/// `IncidentInformation`; its Get Incident schema omits them, and without them no client could keep them through a
/// replacement). OneTrust documents no error body; the fake answers `{"message": …}`. 429s carry `Retry-After` and
/// the `ot-*` headers OneTrust sends.
public struct FakeOneTrustAPI: FakeVendorAPI {
    /// The fake tenant's organization.
    public static let orgGroupID = "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
    /// Its incident types.
    public static let incidentTypes = ["Unknown", "Service Outage"]
    /// Its workflow, in order.
    public static let stages = ["New", "Investigation", "Remediating", "Closed"]
    /// Its custom attributes: single-select options (by name) or free text (`nil`).
    public static let attributes: [String: [String]?] = [
        "Severity": ["Critical", "High", "Medium", "Low", "Info"], "Ticket Reference": nil,
    ]
    static let fields: Set<String> = [
        "name", "description", "incidentTypeName", "orgGroupId", "dateOccurred", "dateDiscovered", "deadline",
        "sourceType", "rootCause", "notificationNeeded", "attributeValues", "incidentAssigneeRequests", "jurisdictions",
    ]

    public let ledger: FakeLedger
    private let client: (id: String, secret: String)
    private let tokens = TokenBook(prefix: "onetrust")

    /// Creates the fake; `clientID`/`clientSecret` are accepted at the token endpoint.
    public init(
        clientID: String = "ingestor",
        clientSecret: String = "client-secret",
        ledger: FakeLedger = FakeLedger()
    ) {
        client = (clientID, clientSecret)
        self.ledger = ledger
    }

    /// Access tokens issued so far.
    public var tokensIssued: Int { tokens.issued }

    /// Forgets every issued token.
    public func expireTokens() { tokens.revokeAll() }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        if request.method == "POST" && request.path == "/api/access/v1/oauth/token" { return token(request) }
        guard let bearer = request.headers["authorization"], bearer.hasPrefix("Bearer "),
            tokens.isValid(String(bearer.dropFirst(7)))
        else { return error(401, "Unauthorized") }
        if request.method != "GET", !request.declares(["application/json"]) {
            return error(415, "Content-Type must be application/json")
        }
        let parts = request.path.split(separator: "/").map(String.init)
        let base = ["api", "incident", "v1", "incidents"]
        switch (request.method, parts) {
        case ("POST", base): return create(request)
        case ("POST", base + ["search"]): return search(request)
        case ("GET", let path) where path.count == 5 && path.starts(with: base): return get(path[4])
        case ("PUT", let path) where path.count == 5 && path.starts(with: base): return replace(path[4], request)
        case ("POST", let path)
        where path.count == 7 && path.starts(with: ["api", "incident", "v1", "assignments", "entities"])
            && path[6] == "stage":
            return stage(path[5], request)
        default: return error(404, "Not Found")
        }
    }

    public func serverError() -> FakeResponse { error(500, "Internal Server Error") }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        var response = error(429, "Too Many Requests")
        response.headers["Retry-After"] = String(seconds)
        response.headers["ot-period"] = "MINUTE"
        response.headers["ot-requests-allowed"] = "1000"
        return response
    }

    func error(_ status: Int, _ message: String) -> FakeResponse {
        .json(status, .object(JSONObject([("message", .string(message))])))
    }

    private func token(_ request: FakeRequest) -> FakeResponse {
        guard request.headers["content-type"]?.hasPrefix("multipart/form-data") == true,
            let form = FakeForm.multipart(request)
        else { return error(400, "multipart/form-data expected") }
        guard form["grant_type"] == "client_credentials" else { return error(400, "unsupported grant_type") }
        guard form["client_id"] == client.id, form["client_secret"] == client.secret else {
            return error(401, "invalid client credentials")
        }
        return .json(
            200,
            .object(
                JSONObject([
                    ("access_token", .string(tokens.issue())), ("token_type", .string("bearer")),
                    ("expires_in", .number("3599")), ("ot-scopes", .string("INCIDENT")),
                    ("orgGroupId", .string(Self.orgGroupID)),
                ])
            )
        )
    }

    /// Checks a create or update body; `nil` when it is acceptable.
    func validate(_ body: JSONObject) -> FakeResponse? {
        if let unknown = body.keys.first(where: { !Self.fields.contains($0) }) {
            return error(400, "Unknown field \(unknown)")
        }
        for field in ["name", "incidentTypeName", "orgGroupId"] where body[field]?.string?.isEmpty != false {
            return error(400, "\(field) is required")
        }
        guard body["orgGroupId"]?.string == Self.orgGroupID else {
            return error(403, "orgGroupId is outside the client's organization")
        }
        guard Self.incidentTypes.contains(body["incidentTypeName"]?.string ?? "") else {
            return error(400, "Incident type \(body["incidentTypeName"]?.string ?? "") does not exist")
        }
        if let source = body["sourceType"],
            !["MANUAL", "ASSESSMENT", "WEBFORM", "INTEGRATION"].contains(source.string ?? "")
        {
            return error(400, "sourceType \(source.scalarText ?? "?") is not valid")
        }
        if let notification = body["notificationNeeded"], !["YES", "NO", "UNKNOWN"].contains(notification.string ?? "")
        {
            return error(400, "notificationNeeded \(notification.scalarText ?? "?") is not valid")
        }
        for field in ["dateOccurred", "dateDiscovered", "deadline"] {
            if let value = body[field], value.string.flatMap(Timestamp.init(rfc3339:)) == nil {
                return error(400, "\(field) must be an ISO-8601 date-time")
            }
        }
        for item in body["jurisdictions"]?.array ?? [] {
            guard let country = item["countryCode"]?.string, country.count == 3 else {
                return error(400, "jurisdictions need a three-letter countryCode")
            }
            if ["USA", "CAN"].contains(country), item["stateProvinceCode"]?.string == nil {
                return error(400, "stateProvinceCode is required for \(country)")
            }
        }
        for item in body["incidentAssigneeRequests"]?.array ?? [] where item["assigneeId"]?.string == nil {
            return error(400, "incidentAssigneeRequests need an assigneeId")
        }
        for (name, values) in body["attributeValues"]?.object?.members ?? [] {
            guard let options = Self.attributes[name] else { return error(400, "Attribute \(name) does not exist") }
            guard let list = values.array else { return error(400, "attributeValues.\(name) must be a list") }
            for item in list {
                guard let value = item["value"]?.string ?? item["id"]?.string else {
                    return error(400, "attributeValues.\(name) items need a value or an id")
                }
                if let options, !options.contains(value), !options.map({ "opt-\($0)" }).contains(value) {
                    return error(400, "\(value) is not an option of \(name)")
                }
            }
        }
        return nil
    }
}

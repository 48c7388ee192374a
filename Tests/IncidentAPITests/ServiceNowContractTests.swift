import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

/// The ServiceNow adapter against a fake that follows ServiceNow's Table API reference
/// (https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI), "Create an incident record"
/// (https://www.servicenow.com/docs/r/yokohama/api-reference/rest-api-explorer/t_GetStartedCreateInt.html) and
/// "OAuth API request parameters"
/// (https://docs.servicenow.com/bundle/xanadu-platform-security/page/administer/security/reference/r_OAuthAPIRequestParameters.html).
/// Each test quotes the part it checks.
@Suite("ServiceNow contract")
struct ServiceNowContractTests {
    static let basic: Authentication = .header(
        name: "Authorization",
        value: Secret("Basic aW5nZXN0b3I6dXNlci1wYXNzd29yZA==")  // ingestor:user-password
    )

    static func target(
        _ baseURL: String,
        _ client: CurlHTTPClient,
        authentication: Authentication = basic
    ) -> ServiceNowTarget {
        var configuration = ServiceNowConfiguration(baseURL: baseURL, authentication: authentication)
        configuration.callerID = "ingestor"
        return ServiceNowTarget(configuration: configuration, client: client, logger: testLogger)
    }

    /// "POST /now/table/{tableName} — Inserts one record in the specified table"; "PATCH /now/table/{tableName}/{sys_id}
    /// — Updates the specified record with the name-value pairs included in the request body"; work notes and
    /// comments are journal fields the instance appends to. Resolving sets state 6 with the resolution code and notes
    /// that default instances make mandatory.
    @Test func aWholeLifecycleWithBasicAuth() async throws {
        try await withFake(FakeServiceNowAPI()) { server, baseURL, client in
            let id = try await runLifecycle(Self.target(baseURL, client))
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "update", "comment", "resolve"])
            #expect(incident.externalReference == "am:0123456789abcdef")
            #expect(incident.fields["correlation_display"]?.string == "ingestor")
            #expect(incident.fields["caller_id"]?.string == "ingestor")
            #expect(incident.fields["state"]?.string == "6")
            #expect(incident.fields["close_code"]?.string == "Solution provided")
            #expect(incident.fields["close_notes"]?.string?.hasPrefix("Resolved at the source") == true)
            #expect(incident.fields["urgency"]?.string == "1" && incident.fields["impact"]?.string == "1")
            #expect(incident.fields["priority"]?.string == "1", "critical is priority 1 through urgency and impact")
            #expect(incident.notes == ["Looking into it.\nLine two."])
            #expect(incident.isResolved)
            let create = try #require(server.ledger.requests.first)
            #expect(create.method == "POST" && create.path == "/api/now/table/incident")
            #expect(create.headers["authorization"] == "Basic [redacted]")
            #expect(create.headers["accept"] == "application/json")
        }
    }

    /// OAuth API request parameters: "grant_type [Required] … password … client_id [Required] … client_secret
    /// [Required]"; "The content-type of the OAuth API should be application/x-www-form-urlencoded. A content-type of
    /// application/json results in an unspecified error." Both grants, one token each for the whole lifecycle.
    @Test(arguments: ["password", "client_credentials"])
    func oauthGrants(_ grant: String) async throws {
        let api = FakeServiceNowAPI()
        try await withFake(api) { server, baseURL, client in
            let authentication: Authentication =
                grant == "password"
                ? .passwordGrant(
                    .init(
                        tokenURL: baseURL + "/oauth_token.do",
                        clientID: "ingestor-client",
                        clientSecret: Secret("client-secret"),
                        username: "ingestor",
                        password: Secret("user-password"),
                        form: .urlEncodedWithClientInForm
                    )
                )
                : .clientCredentials(
                    .init(
                        tokenURL: baseURL + "/oauth_token.do",
                        clientID: "ingestor-client",
                        clientSecret: Secret("client-secret"),
                        multipart: false
                    )
                )
            try await runLifecycle(Self.target(baseURL, client, authentication: authentication))
            #expect(api.tokensIssued == 1)
            let token = try #require(server.ledger.requests.first)
            #expect(token.path == "/oauth_token.do" && token.status == 200)
            #expect(token.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(token.body == "(credentials withheld)")
            #expect(
                server.ledger.requests.dropFirst().allSatisfy { $0.headers["authorization"] == "Bearer [redacted]" }
            )
        }
    }

    /// "Create an incident record": `POST` with a JSON body; the Table API answers 401 without credentials, 415 for a
    /// body it does not take, 406 for an `Accept` it cannot answer, 404 "No Record found" for an unknown sys_id, and
    /// the default data policy refuses Resolved without "Resolution code, Resolution notes" (403).
    @Test func theFakeTakesOnlyWhatTheReferenceDescribes() async throws {
        try await withFake(FakeServiceNowAPI()) { _, baseURL, client in
            let executor = TargetExecutor(
                adapter: "servicenow",
                authentication: Self.basic,
                client: client,
                timeout: .seconds(5),
                logger: testLogger
            )
            let anonymous = TargetExecutor(
                adapter: "servicenow",
                authentication: .none,
                client: client,
                timeout: .seconds(5),
                logger: testLogger
            )
            func send(
                _ method: String,
                _ path: String,
                _ body: String,
                type: String = "application/json",
                accept: String = "application/json",
                via sender: TargetExecutor? = nil
            ) async throws -> Int {
                try await (sender ?? executor).send(
                    HTTPRequest(
                        method: method,
                        url: baseURL + "/api/now/table/incident" + path,
                        headers: [HTTPHeader("Content-Type", type), HTTPHeader("Accept", accept)],
                        body: Array(body.utf8)
                    )
                ).status
            }
            let statuses = [
                try await send("POST", "", #"{"short_description":"x"}"#),
                try await send("POST", "", #"{"short_description":"x"}"#, via: anonymous),
                try await send("POST", "", "short_description=x", type: "application/x-www-form-urlencoded"),
                try await send("POST", "", #"{"short_description":"x"}"#, accept: "text/html"),
                try await send("PATCH", "/0123456789abcdef0123456789abcdef", #"{"urgency":"1"}"#),
                try await send("PATCH", "/9d385017c611228701d22104cc95c001", #"{"state":"6"}"#),
                try await send(
                    "PATCH",
                    "/9d385017c611228701d22104cc95c001",
                    #"{"state":"6","close_code":"Solution provided"}"#
                ),
            ]
            #expect(statuses == [201, 401, 415, 406, 404, 403, 403])
            let target = Self.target(baseURL, client)
            let missing = await target.execute(
                IncidentCommand(action: .update, dedupKey: "k", externalID: "nope", event: sampleEvent, reason: "t")
            )
            #expect(missing.failure?.code == .notFound)
            #expect(missing.failure?.message.contains("No Record found") == true, "\(missing)")
        }
    }

    /// Table API GET: "sysparm_query — An encoded query string used to filter the results"; "sysparm_limit — Maximum
    /// number of records to return". An instance ignores a term on a field the table lacks (and would answer every
    /// incident), so only a query on `correlation_id` finds the right one; `correlation_id` holds 100 characters.
    @Test func lookupFindsTheIncidentOfTheKey() async throws {
        try await withFake(FakeServiceNowAPI()) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let long = "email:thread:" + String(repeating: "x", count: 120) + "@example.com"
            var ids: [String: String] = [:]
            for key in ["am:1", long, long + ".2"] {
                let outcome = await target.execute(
                    IncidentCommand(action: .create, dedupKey: key, event: sampleEvent, reason: "new")
                )
                ids[key] = outcome.successID
            }
            #expect(Set(ids.values).count == 3)
            for (key, id) in ids {
                #expect(await target.lookup(dedupKey: key) == .found(externalID: id, status: .open))
            }
            #expect(await target.lookup(dedupKey: "am:2") == .notFound)
            let stored = server.ledger.incidents.compactMap { $0.fields["correlation_id"]?.string }
            #expect(stored.allSatisfy { $0.count <= 100 })
            let query = try #require(server.ledger.requests.last)
            #expect(query.method == "GET" && query.status == 200)
        }
    }

    /// Rate limit rules answer 429 with `Retry-After`; the outcome waits as long as asked.
    @Test func rateLimitedCallsAreRetriedAfterTheHint() async throws {
        var faults = FakeFaults()
        faults.throttleEvery = 1
        faults.throttleRetryAfterSeconds = 7
        try await withFake(FakeServiceNowAPI(), faults: faults) { _, baseURL, client in
            let outcome = await Self.target(baseURL, client).execute(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "t")
            )
            let failure = try #require(outcome.failure)
            #expect(outcome == .retryable(failure, retryAfter: .after(.seconds(7))))
            #expect(outcome.failure?.code == .throttled)
        }
    }
}

extension TargetOutcome {
    /// The id of a success, else `nil`.
    var successID: String? {
        if case .success(let id, _) = self { return id }
        return nil
    }
}

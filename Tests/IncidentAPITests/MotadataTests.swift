import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

@Suite("Motadata ServiceOps adapter")
struct MotadataTests {
    static let apiKey = "mtd-api-key-0042"

    /// The password grant the "Update an Incident" page's bearer token comes from, with the fake's credentials.
    static func passwordGrant(_ baseURL: String, password: String = "user-password") -> Authentication {
        .passwordGrant(
            .init(
                tokenURL: baseURL + "/api/oauth/token",
                clientID: "ingestor-client",
                clientSecret: Secret("client-secret"),
                username: "ingestor@example.com",
                password: Secret(password)
            )
        )
    }

    /// The request API with an `Apikey` key, or the incident API with the password grant's bearer token.
    func configuration(_ baseURL: String, api: MotadataConfiguration.API = .request) -> MotadataConfiguration {
        var configuration = MotadataConfiguration(
            baseURL: baseURL,
            api: api,
            authentication: api == .request
                ? .header(name: "Authorization", value: Secret("Apikey \(Self.apiKey)")) : Self.passwordGrant(baseURL),
            requesterEmail: "ingestor@example.com"
        )
        configuration.dedupKeyField = api == .request ? "Alert Key" : "41"
        return configuration
    }

    func body(_ request: HTTPRequest) throws -> JSONObject {
        try #require(try JSONParser().parse(request.body ?? []).object)
    }

    @Test func requestAPICreateIsAPostWithDisplayNamesAndTheKeyInACustomField() throws {
        let builder = MotadataRequestBuilder(configuration: configuration("https://sd.example.com"))
        let requests = try builder.requests(
            for: IncidentCommand(action: .create, dedupKey: "am:1", event: sampleEvent, reason: "new")
        )
        #expect(requests.count == 1)
        #expect(requests[0].method == "POST")
        #expect(requests[0].url == "https://sd.example.com/api/v1/request")
        let json = try body(requests[0])
        #expect(json["subject"]?.string == "DiskFull on db-1")
        #expect(json["requesterEmail"]?.string == "ingestor@example.com")
        #expect(json["priorityName"]?.string == "High")
        #expect(json["urgencyName"]?.string == "High")
        #expect(json["impactName"]?.string == "On department")
        #expect(json["customField"]?["Alert Key"]?.string == "am:1")
        #expect(json["tags"]?.array == [.string("ingestor"), .string("source:alertmanager")])
        #expect(json["description"]?.string?.contains("<br>") == true, "text becomes HTML with its line breaks")
        #expect(requests[0].header("Authorization") == nil, "credentials are added when sending, not built in")
    }

    @Test func requestAPIResolveIsAPatchThenANote() throws {
        var event = sampleEvent
        event.status = .resolved
        let requests = try MotadataRequestBuilder(configuration: configuration("https://sd")).requests(
            for: IncidentCommand(action: .resolve, dedupKey: "k", externalID: "65", event: event, reason: "r")
        )
        #expect(requests.map(\.method) == ["PATCH", "POST"])
        #expect(requests.map(\.url) == ["https://sd/api/v1/request/65", "https://sd/api/v1/request/65/conversation"])
        #expect(try body(requests[0])["statusName"]?.string == "Resolved")
        #expect(try body(requests[0])["subject"] != nil, "subject is compulsory even on PATCH")
        #expect(try body(requests[1])["conversationType"]?.string == "note")
    }

    @Test func acknowledgedBecomesInProgress() throws {
        var event = sampleEvent
        event.status = .acknowledged
        let request = try #require(
            try MotadataRequestBuilder(configuration: configuration("https://sd")).requests(
                for: IncidentCommand(action: .update, dedupKey: "k", externalID: "65", event: event, reason: "ack")
            ).first
        )
        #expect(try body(request)["statusName"]?.string == "In Progress")
    }

    @Test func legacyAPIUsesUpperCaseEnumsAndPostForUpdates() throws {
        let builder = MotadataRequestBuilder(configuration: configuration("https://sd", api: .incident))
        let create = try #require(
            try builder.requests(for: IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n"))
                .first
        )
        #expect(create.url == "https://sd/api/v1/incident")
        let json = try body(create)
        #expect(json["priority"]?.string == "HIGH")
        #expect(json["impact"]?.string == "ONDEPARTMENT")
        #expect(json["categoryName"]?.string == "Incident")
        #expect(json["customFieldValueDetails"]?["41"]?["stringValue"]?.string == "k")
        #expect(json["customFieldValueDetails"]?["41"]?["type"]?.int64 == 1)
        #expect(json["description"]?.string?.hasSuffix("\n\ningestor-dedup-key: k") == true)
        let command = IncidentCommand(action: .update, dedupKey: "k", externalID: "7", event: sampleEvent, reason: "u")
        #expect(builder.readsFirst(command), "an update keeps what was appended to the description")
        let current = JSONObject([("description", .string("old\n\ningestor-dedup-key: k\n\nReply: on it"))])
        let update = builder.legacyUpdate("7", current: current, command: command)
        #expect(update.method == "POST")
        #expect(update.url == "https://sd/api/v1/incident/7")
        #expect(try body(update)["description"]?.string?.hasSuffix("ingestor-dedup-key: k\n\nReply: on it") == true)
        let reply = builder.legacyReply("7", current: current, paragraph: "Reply: done")
        #expect(try body(reply).keys == ["description"])
        #expect(try body(reply)["description"]?.string?.hasSuffix("Reply: on it\n\nReply: done") == true)
        let resolve = try #require(
            try builder.requests(
                for: IncidentCommand(action: .resolve, dedupKey: "k", externalID: "7", event: sampleEvent, reason: "r")
            ).first
        )
        #expect(try body(resolve) == JSONObject([("status", .string("Resolved"))]), "the page's own example")
    }

    @Test func classifierReadsIdsAndTheLegacyEnvelope() {
        let request = MotadataResponseClassifier(api: .request, redactor: Redactor())
        #expect(
            request.classify(HTTPResponse(status: 200, body: Array(#"{"id":65,"name":"INC-46"}"#.utf8)), isCreate: true)
                == .success(externalID: "65", httpStatus: 200)
        )
        #expect(
            request.classify(HTTPResponse(status: 200, body: Array("{}".utf8)), isCreate: true).failure?.code
                == .invalidResponse
        )
        let rejected = request.classify(
            HTTPResponse(status: 400, body: Array(#"{"userMessage":"Requester x does not exist"}"#.utf8)),
            isCreate: true
        )
        #expect(rejected.failure?.code == .rejected)
        #expect(rejected.failure?.message == "Motadata: Requester x does not exist")
        let legacy = MotadataResponseClassifier(api: .incident, redactor: Redactor())
        #expect(
            legacy.classify(
                HTTPResponse(
                    status: 200,
                    body: Array(#"{"returnCode":"SUCCESS","status":0,"userMessage":null,"id":2}"#.utf8)
                ),
                isCreate: true
            ) == .success(externalID: "2", httpStatus: 200)
        )
        #expect(
            legacy.classify(
                HTTPResponse(status: 200, body: Array(#"{"returnCode":"FAILURE","userMessage":"bad"}"#.utf8)),
                isCreate: false
            ).failure?.code == .rejected
        )
    }

    @Test func requestAPILifecycleAgainstTheFake() async throws {
        try await withFake(FakeMotadataAPI(apiKey: Self.apiKey, variants: [.requestAPI])) { server, baseURL, client in
            let target = MotadataTarget(configuration: configuration(baseURL), client: client, logger: testLogger)
            let id = try await runLifecycle(target)
            let incident = try #require(server.ledger.incident(id))
            #expect(
                incident.calls == ["create", "update", "comment", "resolve", "comment"],
                "resolve: PATCH, then note"
            )
            #expect(incident.isResolved)
            #expect(incident.externalReference == "am:0123456789abcdef")
            #expect(incident.fields["priorityName"]?.string == "Urgent")
            #expect(incident.notes.count == 2, "the reply and the resolution note")
        }
    }

    @Test func theIncidentAPILifecycleKeepsRepliesInTheDescription() async throws {
        try await withFake(FakeMotadataAPI(apiKey: Self.apiKey)) { server, baseURL, client in
            let target = MotadataTarget(
                configuration: configuration(baseURL, api: .incident),
                client: client,
                logger: testLogger
            )
            let id = try await runLifecycle(target)
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "update", "comment", "resolve"])
            #expect(incident.fields["priority"]?.string == "URGENT")
            #expect(incident.fields["description"]?.string?.hasSuffix("Looking into it.\nLine two.") == true)
        }
    }

    @Test func passwordGrantLogsInOnceAndAgainWhenTheTokenIsRefused() async throws {
        let api = FakeMotadataAPI(apiKey: Self.apiKey, variants: [.requestAPI])
        try await withFake(api) { server, baseURL, client in
            var settings = configuration(baseURL)
            settings.authentication = Self.passwordGrant(baseURL)
            let target = MotadataTarget(configuration: settings, client: client, logger: testLogger)
            let first = try await runLifecycle(target, key: "k1")
            #expect(api.tokensIssued == 1, "one login serves every call while the token lives")
            api.expireTokens()
            try await runLifecycle(target, key: "k2")
            #expect(api.tokensIssued == 2, "a refused token means one new login")
            #expect(server.ledger.incident(first)?.isResolved == true)
            let tokenCalls = server.ledger.requests.filter { $0.path == "/api/oauth/token" }
            #expect(tokenCalls.count == 2)
        }
    }

    @Test func aWrongPasswordIsAFinalAuthFailureWithoutTheSecret() async throws {
        try await withFake(FakeMotadataAPI(apiKey: Self.apiKey, variants: [.requestAPI])) { _, baseURL, client in
            var settings = configuration(baseURL)
            settings.authentication = Self.passwordGrant(baseURL, password: "wrong-password-123")
            let target = MotadataTarget(configuration: settings, client: client, logger: testLogger)
            let outcome = await target.execute(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new")
            )
            guard case .authFailure(let failure) = outcome else {
                Issue.record("expected an auth failure, got \(outcome)")
                return
            }
            #expect(failure.code == .unauthorized)
            #expect(!"\(failure) \(failure.responseExcerpt ?? "")".contains("wrong-password-123"))
            #expect(!"\(failure) \(failure.responseExcerpt ?? "")".contains("client-secret"))
        }
    }

    @Test func theFakeRefusesWhatTheRealAPIRefuses() async throws {
        try await withFake(FakeMotadataAPI(apiKey: Self.apiKey, variants: [.requestAPI])) { _, baseURL, client in
            var settings = configuration(baseURL)
            settings.requesterEmail = "stranger@example.com"
            let unknownRequester = await MotadataTarget(configuration: settings, client: client, logger: testLogger)
                .execute(IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new"))
            #expect(unknownRequester.failure?.code == .rejected)
            #expect(unknownRequester.failure?.message.contains("does not exist") == true)

            settings = configuration(baseURL)
            settings.levels[.high] = .init(priority: "HIGH", urgency: "High", impact: "On department")
            let wrongEnum = await MotadataTarget(configuration: settings, client: client, logger: testLogger)
                .execute(IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new"))
            #expect(wrongEnum.failure?.code == .rejected, "upper-case names belong to the legacy API")

            settings = configuration(baseURL)
            settings.authentication = .header(name: "Authorization", value: Secret("Apikey not-the-key"))
            let wrongKey = await MotadataTarget(configuration: settings, client: client, logger: testLogger)
                .execute(IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new"))
            guard case .authFailure = wrongKey else {
                Issue.record("expected auth failure, got \(wrongKey)")
                return
            }
        }
    }

    @Test func labelsFillCustomFieldsInBothGenerations() throws {
        var settings = configuration("https://sd")
        settings.labelFields = ["Host": "instance", "Missing": "nope"]
        let request = try #require(
            try MotadataRequestBuilder(configuration: settings).requests(
                for: IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n")
            ).first
        )
        let custom = try body(request)["customField"]
        #expect(custom?["Host"]?.string == "db-1")
        #expect(custom?["Alert Key"]?.string == "k")
        #expect(custom?["Missing"] == nil, "an absent label fills nothing")
        var legacy = configuration("https://sd", api: .incident)
        legacy.labelFields = ["12": "instance"]
        let legacyRequest = try #require(
            try MotadataRequestBuilder(configuration: legacy).requests(
                for: IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n")
            ).first
        )
        #expect(try body(legacyRequest)["customFieldValueDetails"]?["12"]?["stringValue"]?.string == "db-1")
    }
}

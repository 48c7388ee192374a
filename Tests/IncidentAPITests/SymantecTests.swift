import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

@Suite("Symantec ServiceDesk adapter")
struct SymantecTests {
    func configuration(_ baseURL: String, password: String = "sd-password") -> SymantecConfiguration {
        var configuration = SymantecConfiguration(
            baseURL: baseURL + "/ServiceDeskApi",
            username: "svc-ingestor",
            password: Secret(password),
            affectedUserEmail: "noc@example.com",
            closeCode: "Monitoring Cleared"
        )
        configuration.incidentType = "Break/Fix"
        return configuration
    }

    @Test func requestsFollowTheIncidentController() throws {
        let builder = SymantecRequestBuilder(configuration: configuration("https://sd"))
        let create = builder.create(IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n"))
        #expect(create.method == "POST")
        #expect(create.url == "https://sd/ServiceDeskApi/api/incident")
        let body = try #require(try JSONParser().parse(create.body ?? []).object)
        #expect(body["incidentName"]?.string == "DiskFull on db-1")
        #expect(body["affectedUserEmail"]?.string == "noc@example.com")
        #expect(body["priority"]?.string == "High")
        #expect(body["impact"]?.string == "Small group or VIP")
        #expect(body["urgency"]?.string == "Core business service")
        #expect(body["incidentType"]?.string == "Break/Fix")
        #expect(body["incidentDescription"]?.string?.hasSuffix("\n\ningestor-dedup-key: k") == true)
        let resolve = builder.resolve("5e1d-1", sampleEvent)
        #expect(resolve.method == "PATCH")
        #expect(resolve.url == "https://sd/ServiceDeskApi/api/incident/5e1d-1")
        let patch = try #require(try JSONParser().parse(resolve.body ?? []).object)
        #expect(patch.keys.sorted() == ["closeCode", "resolution"])
        #expect(patch["closeCode"]?.string == "Monitoring Cleared")
    }

    @Test func theCreateAnswerMayBeAnObjectOrABareGUID() throws {
        #expect(SymantecResponseClassifier.sessionID(in: .string("0f3a-guid")) == "0f3a-guid")
        #expect(
            SymantecResponseClassifier.sessionID(
                in: try JSONParser().parse(Array(#"{"sessionId":"g-1","processId":"IM-000001"}"#.utf8))
            ) == "g-1"
        )
        #expect(SymantecResponseClassifier.sessionID(in: try JSONParser().parse(Array("{}".utf8))) == nil)
    }

    @Test func lifecycleAgainstTheFake() async throws {
        let api = FakeSymantecAPI()
        try await withFake(api) { server, baseURL, client in
            let target = SymantecTarget(configuration: configuration(baseURL), client: client, logger: testLogger)
            let id = try await runLifecycle(target)
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "update", "comment", "resolve"])
            #expect(incident.isResolved)
            #expect(incident.fields["priority"]?.string == "Urgent")
            #expect(incident.fields["closeCode"]?.string == "Monitoring Cleared")
            #expect(incident.fields["incidentDescription"]?.string?.hasSuffix("Looking into it.\nLine two.") == true)
            #expect(incident.fields["incidentType"]?.string == "Break/Fix")
            #expect(api.logins == 1)
        }
    }

    @Test func anExpiredSessionMeansOneNewLogin() async throws {
        let api = FakeSymantecAPI()
        try await withFake(api) { _, baseURL, client in
            let target = SymantecTarget(configuration: configuration(baseURL), client: client, logger: testLogger)
            try await runLifecycle(target, key: "k1")
            api.expireSessions()
            try await runLifecycle(target, key: "k2")
            #expect(api.logins == 2)
        }
    }

    @Test(arguments: [true, false])
    func refusedLoginsAreFinalAndNeverShowThePassword(apiEnabled: Bool) async throws {
        try await withFake(FakeSymantecAPI(apiEnabled: apiEnabled)) { _, baseURL, client in
            let password = apiEnabled ? "not-the-password" : "sd-password"
            let target = SymantecTarget(
                configuration: configuration(baseURL, password: password),
                client: client,
                logger: testLogger
            )
            let outcome = await target.execute(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n")
            )
            guard case .authFailure(let failure) = outcome else {
                Issue.record("expected an auth failure, got \(outcome)")
                return
            }
            #expect(!"\(failure) \(failure.responseExcerpt ?? "")".contains(password))
        }
    }

    @Test func unknownCloseCodesAndUsersAreRefused() async throws {
        try await withFake(FakeSymantecAPI()) { _, baseURL, client in
            var settings = configuration(baseURL)
            settings.affectedUserEmail = "ghost@example.com"
            let ghost = await SymantecTarget(configuration: settings, client: client, logger: testLogger)
                .execute(IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n"))
            #expect(ghost.failure?.code == .rejected)
            #expect(ghost.failure?.message.contains("AffectedUserEmail") == true)

            settings = configuration(baseURL)
            settings.closeCode = "Fixed"
            let target = SymantecTarget(configuration: settings, client: client, logger: testLogger)
            guard
                case .success(let id?, _) = await target.execute(
                    IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n")
                )
            else {
                Issue.record("create failed")
                return
            }
            let outcome = await target.execute(
                IncidentCommand(action: .resolve, dedupKey: "k", externalID: id, event: sampleEvent, reason: "r")
            )
            #expect(outcome.failure?.code == .rejected)
        }
    }
}

import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

@Suite("Infraon Infinity adapter")
struct InfraonTests {
    func configuration(_ baseURL: String, authentication: Authentication? = nil) -> InfraonConfiguration {
        InfraonConfiguration(
            baseURL: baseURL,
            authentication: authentication ?? .header(name: "Authorization", value: Secret("ApiKey inf-key-123")),
            requesterEmail: "noc@example.com"
        )
    }

    @Test func createUsesTheConnectorsWorkingShape() throws {
        let request = InfraonRequestBuilder(configuration: configuration("https://acme.infraon.app")).create(
            IncidentCommand(action: .create, dedupKey: "am:1", event: sampleEvent, reason: "new")
        )
        #expect(request.url == "https://acme.infraon.app/ux/sd/inci/incident/")
        let body = try #require(try JSONParser().parse(request.body ?? []).object)
        #expect(body["summary"]?.string == "DiskFull on db-1")
        #expect(body["requester_email"]?.string == "noc@example.com")
        #expect(body["incident_type"]?["prefix"]?.string == "inci")
        #expect(body["priority"]?["id"]?.int64 == 2 && body["priority"]?["name"]?.string == "High")
        #expect(body["impact"]?["name"]?.string == "Department")
        #expect(body["reference"]?["ingestor_dedup_key"]?.string == "am:1")
    }

    @Test func theIdMayBeInDataOrAtTheTop() throws {
        #expect(
            InfraonRequestBuilder.incidentID(in: try JSONParser().parse(Array(#"{"data":{"id":"abc"}}"#.utf8))) == "abc"
        )
        #expect(InfraonRequestBuilder.incidentID(in: try JSONParser().parse(Array(#"{"id":42}"#.utf8))) == "42")
        #expect(
            InfraonRequestBuilder.incidentID(in: try JSONParser().parse(Array(#"{"status":"success"}"#.utf8))) == nil
        )
    }

    @Test func theMergeKeepsTheDocumentAndRecordsPriorityChanges() throws {
        let answer = try JSONParser().parse(
            Array(
                #"{"incident":{"incident_id":"i1","basic_info":{"summary":"old","priority":{"id":4,"name":"Low"},"status":{"id":1,"name":"New"}},"custom_field_data":{"cmdb":"db-1"}},"options":{"status":[{"id":4,"name":"Resolved"}]}}"#
                    .utf8
            )
        )
        let builder = InfraonRequestBuilder(configuration: configuration("https://x"))
        var event = sampleEvent
        event.severity = .critical
        let merged = try builder.merged(answer, event: event, status: nil).get()
        #expect(merged["custom_field_data"]?["cmdb"]?.string == "db-1", "what ingestor does not own is kept")
        #expect(merged["basic_info"]?["summary"]?.string == "DiskFull on db-1")
        #expect(merged["basic_info"]?["status"]?["name"]?.string == "New")
        #expect(merged["comment"]?["type"]?.string == "Priority Change")
        let resolved = try builder.merged(answer, event: nil, status: "Resolved").get()
        #expect(resolved["basic_info"]?["status"]?["id"]?.int64 == 4)
        #expect(resolved["basic_info"]?["summary"]?.string == "old")
        #expect(throws: TargetFailure.self) { try builder.merged(answer, event: nil, status: "Closed").get() }
    }

    @Test(arguments: ["ApiKey inf-key-123", "inf-key-123"])
    func lifecycleAgainstTheFakeWithEitherKeyForm(_ header: String) async throws {
        let api = FakeInfraonAPI(authorization: header)
        try await withFake(api) { server, baseURL, client in
            let target = InfraonTarget(
                configuration: configuration(
                    baseURL,
                    authentication: .header(name: "Authorization", value: Secret(header))
                ),
                client: client,
                logger: testLogger
            )
            let created = await target.execute(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n")
            )
            guard case .success(let id?, _) = created else {
                Issue.record("create failed: \(created)")
                return
            }
            api.setField(incident: id, "custom_field_data", .object(JSONObject([("cmdb", .string("db-1"))])))
            var changed = sampleEvent
            changed.severity = .critical
            for (action, event) in [(IncidentCommand.Action.update, changed), (.comment, changed), (.resolve, changed)]
            {
                let outcome = await target.execute(
                    IncidentCommand(action: action, dedupKey: "k", externalID: id, event: event, reason: "r")
                )
                #expect(outcome.failure == nil, "\(action): \(outcome)")
            }
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "update", "comment", "resolve", "comment"])
            #expect(incident.isResolved)
            #expect(incident.fields["custom_field_data"]?["cmdb"]?.string == "db-1", "the whole-document PUT kept it")
            #expect(incident.fields["notes"]?.array?.count == 2)
            #expect(incident.fields["basic_info"]?["priority"]?["name"]?.string == "Critical")
        }
    }

    @Test func loginTokensAreSentBareAndRenewedOnce() async throws {
        let api = FakeInfraonAPI(authorization: "unused")
        try await withFake(api) { _, baseURL, client in
            let login = Authentication.login(
                .init(
                    loginURL: baseURL + "/ux/api-token-auth/",
                    username: "ingestor",
                    password: Secret("infraon-password"),
                    tokenField: "token",
                    headerPrefix: ""
                )
            )
            let target = InfraonTarget(
                configuration: configuration(baseURL, authentication: login),
                client: client,
                logger: testLogger
            )
            try await runLifecycle(target, key: "k1")
            api.expireTokens()
            try await runLifecycle(target, key: "k2")
            #expect(api.logins == 2)
        }
    }

    @Test func aTwoHundredWithStatusErrorIsARefusal() async throws {
        try await withFake(FakeInfraonAPI(authorization: "ApiKey inf-key-123")) { _, baseURL, client in
            var settings = configuration(baseURL)
            settings.requesterEmail = "ghost@example.com"
            let outcome = await InfraonTarget(configuration: settings, client: client, logger: testLogger)
                .execute(IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n"))
            #expect(outcome.failure?.code == .rejected)
            #expect(outcome.failure?.message.contains("requester") == true)
        }
    }

    @Test func inciResolveIsUsedWhenItsBodyIsConfigured() async throws {
        try await withFake(FakeInfraonAPI(authorization: "ApiKey inf-key-123")) { server, baseURL, client in
            var settings = configuration(baseURL)
            settings.resolveBody = try JSONParser().parse(
                Array(#"{"incident_id": "{{external_id}}", "closure_note": "resolved at {{resolved_at}}"}"#.utf8)
            )
            let target = InfraonTarget(configuration: settings, client: client, logger: testLogger)
            let id = try await runLifecycle(target)
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.isResolved)
            let resolves = server.ledger.requests.filter { $0.path.hasSuffix("/inci_resolve/") }
            #expect(resolves.count == 1)
            #expect(resolves.first?.body.contains(#""closure_note":"resolved at 2024-05-01T12:30:00.000Z""#) == true)
        }
    }
}

import IncidentAPI
import IncidentAPIFakes
import Logging
import Normalizer
import Testing

let testLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

@Suite("DevRev adapter against the fake over loopback")
struct DevRevEndToEndTests {
    @Test func fullLifecycleCreateUpdateCommentResolve() async throws {
        let server = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "tok-123456"), logger: testLogger)
        try await server.withRunning { baseURL in
            let client = CurlHTTPClient(logger: testLogger)
            defer { client.shutdown() }
            var configuration = DevRevConfiguration(
                token: Secret("tok-123456"),
                resolvedStage: FakeDevRevAPI.stages["resolved"]!
            )
            configuration.baseURL = baseURL
            configuration.triageStage = FakeDevRevAPI.stages["triage"]
            let target = DevRevTarget(configuration: configuration, client: client, logger: testLogger)

            #expect(await target.lookup(dedupKey: "am:0123456789abcdef") == .notFound)
            let created = await target.execute(
                IncidentCommand(action: .create, dedupKey: "am:0123456789abcdef", event: sampleEvent, reason: "new")
            )
            guard case .success(let id?, 201) = created else {
                Issue.record("create failed: \(created)")
                return
            }
            #expect(await target.lookup(dedupKey: "am:0123456789abcdef") == .found(externalID: id, status: .open))

            var changed = sampleEvent
            changed.severity = .critical
            #expect(
                await target.execute(
                    IncidentCommand(action: .update, dedupKey: "k", externalID: id, event: changed, reason: "severity")
                ) == .success(externalID: id, httpStatus: 200)
            )
            let commented = await target.execute(
                IncidentCommand(action: .comment, dedupKey: "k", externalID: id, event: changed, reason: "reply")
            )
            #expect(commented.failure == nil)
            changed.status = .resolved
            #expect(
                await target.execute(
                    IncidentCommand(action: .resolve, dedupKey: "k", externalID: id, event: changed, reason: "resolved")
                ) == .success(externalID: id, httpStatus: 200)
            )

            var incidents = server.ledger.incidents
            #expect(incidents.count == 1)
            #expect(incidents[0].calls == ["create", "update", "comment", "resolve"])
            #expect(incidents[0].isResolved)
            #expect(
                await target.lookup(dedupKey: "am:0123456789abcdef") == .found(externalID: id, status: .closed),
                "incidents.list answers closed incidents too; their stage's state says so"
            )

            #expect(target.supportsReopen)
            changed.status = .firing
            #expect(
                await target.execute(
                    IncidentCommand(action: .reopen, dedupKey: "k", externalID: id, event: changed, reason: "again")
                ) == .success(externalID: id, httpStatus: 200)
            )
            #expect(server.ledger.incidents[0].calls.last == "reopen")
            #expect(!server.ledger.incidents[0].isResolved)
            changed.status = .resolved
            _ = await target.execute(
                IncidentCommand(action: .resolve, dedupKey: "k", externalID: id, event: changed, reason: "resolved")
            )
            incidents = server.ledger.incidents
            #expect(incidents[0].fields["severity"]?.int64 == 1)
            #expect(incidents[0].externalReference == "am:0123456789abcdef")
        }
    }

    @Test func fakeRefusesWrongTokenAndWrongShapesLikeDevRev() async throws {
        let server = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "right-token"), logger: testLogger)
        try await server.withRunning { baseURL in
            let client = CurlHTTPClient(logger: testLogger)
            defer { client.shutdown() }
            var configuration = DevRevConfiguration(token: Secret("wrong-token"), resolvedStage: "x")
            configuration.baseURL = baseURL
            let target = DevRevTarget(configuration: configuration, client: client, logger: testLogger)
            let unauthorized = await target.execute(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new")
            )
            guard case .authFailure(let failure) = unauthorized else {
                Issue.record("expected auth failure, got \(unauthorized)")
                return
            }
            #expect(failure.httpStatus == 401)

            for (body, type) in [
                (#"{"body":"no title"}"#, "missing_required_field"),
                (#"{"title":"t","severity":9}"#, "invalid_enum_value"),
                (#"{"title":"t","colour":"red"}"#, "invalid_field"),
                (#"{"title":"t","stage":{"stage":"don:nope"}}"#, "invalid_id"),
                (#"{"title":"t","identified_date":"yesterday"}"#, "invalid_field"),
                ("not json", "parse_error"),
            ] {
                let response = try await client.execute(
                    HTTPRequest(
                        method: "POST",
                        url: baseURL + "/incidents.create",
                        headers: [
                            HTTPHeader("Authorization", "Bearer right-token"),
                            HTTPHeader("Content-Type", "application/json"),
                        ],
                        body: Array(body.utf8)
                    )
                )
                #expect(response.status == 400, "\(body)")
                #expect(try JSONParser().parse(response.body)["type"]?.string == type, "\(body)")
            }
            let missing = try await client.execute(
                HTTPRequest(
                    method: "POST",
                    url: baseURL + "/incidents.update",
                    headers: [
                        HTTPHeader("Authorization", "Bearer right-token"),
                        HTTPHeader("Content-Type", "application/json"),
                    ],
                    body: Array(#"{"id":"don:missing","title":"x"}"#.utf8)
                )
            )
            #expect(missing.status == 404)
            #expect(server.ledger.incidents.isEmpty)
        }
    }

    @Test func injectedThrottleAndFailuresCarryTheVendorShape() async throws {
        var faults = FakeFaults()
        faults.throttleEvery = 2
        faults.throttleRetryAfterSeconds = 5
        let server = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "t0k3n-abc"), faults: faults, logger: testLogger)
        try await server.withRunning { baseURL in
            let client = CurlHTTPClient(logger: testLogger)
            defer { client.shutdown() }
            var configuration = DevRevConfiguration(token: Secret("t0k3n-abc"), resolvedStage: "x")
            configuration.baseURL = baseURL
            let target = DevRevTarget(configuration: configuration, client: client, logger: testLogger)
            let first = await target.execute(
                IncidentCommand(action: .create, dedupKey: "a", event: sampleEvent, reason: "new")
            )
            let second = await target.execute(
                IncidentCommand(action: .create, dedupKey: "b", event: sampleEvent, reason: "new")
            )
            #expect(first.failure == nil)
            guard case .retryable(let failure, let hint) = second else {
                Issue.record("expected throttle, got \(second)")
                return
            }
            #expect(failure.code == .throttled)
            #expect(hint == .after(.seconds(5)))
            #expect(server.ledger.requests.map(\.status) == [201, 429])
        }
    }
}

@Suite("DevRev adapter: tags, acknowledgements and idempotent comments")
struct DevRevCompletionTests {
    @Test func tagsAreFoundOrCreatedOnceAndCarriedOnCreateAndUpdate() async throws {
        let api = FakeDevRevAPI(token: "tok-123456")
        try await withFake(api) { server, baseURL, client in
            var configuration = DevRevConfiguration(
                token: Secret("tok-123456"),
                resolvedStage: FakeDevRevAPI.stages["resolved"]!
            )
            configuration.baseURL = baseURL
            configuration.tagLabels = ["alertname", "team"]
            configuration.labelFields = ["tnt__host": "instance"]
            configuration.acknowledgedStage = FakeDevRevAPI.stages["acknowledged"]
            let target = DevRevTarget(configuration: configuration, client: client, logger: testLogger)
            let id = try await runLifecycle(target, key: "k1")
            try await runLifecycle(target, key: "k2")
            #expect(api.tagNames == ["alertname:DiskFull"], "team is absent from the event; alertname made one tag")
            let tagCreates = server.ledger.requests.filter { $0.path == "/tags.create" }
            #expect(tagCreates.count == 1, "the tag is created once and then remembered")
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.fields["tags"]?.array?.count == 1, "the update sets the tags")
            #expect(incident.fields["custom_fields"]?["tnt__host"]?.string == "db-1")

            var acknowledged = sampleEvent
            acknowledged.status = .acknowledged
            let outcome = await target.execute(
                IncidentCommand(action: .update, dedupKey: "k1", externalID: id, event: acknowledged, reason: "ack")
            )
            #expect(outcome.failure == nil, "\(outcome)")
            #expect(
                server.ledger.incident(id)?.fields["stage"]?["stage"]?.string == FakeDevRevAPI.stages["acknowledged"]
            )
            #expect(server.ledger.incident(id)?.fields["acknowledged_date"]?.string == "2024-05-01T12:00:00.000Z")
        }
    }

    @Test func aRepeatedCommentIsPostedOnce() async throws {
        let api = FakeDevRevAPI(token: "tok-123456")
        try await withFake(api) { server, baseURL, client in
            var configuration = DevRevConfiguration(
                token: Secret("tok-123456"),
                resolvedStage: FakeDevRevAPI.stages["resolved"]!
            )
            configuration.baseURL = baseURL
            let target = DevRevTarget(configuration: configuration, client: client, logger: testLogger)
            guard
                case .success(let id?, _) = await target.execute(
                    IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new")
                )
            else {
                Issue.record("create failed")
                return
            }
            var reply = sampleEvent
            reply.description = "Disk replaced."
            let comment = IncidentCommand(
                action: .comment,
                dedupKey: "k",
                externalID: id,
                event: reply,
                reason: "reply"
            )
            #expect(await target.execute(comment).failure == nil)
            #expect(await target.execute(comment) == .success(externalID: nil, httpStatus: 409), "a retry or replay")
            #expect(server.ledger.incident(id)?.calls == ["create", "comment"])
            var other = reply
            other.description = "And the controller."
            #expect(
                await target.execute(
                    IncidentCommand(action: .comment, dedupKey: "k", externalID: id, event: other, reason: "r")
                )
                .failure == nil
            )
            #expect(server.ledger.incident(id)?.calls == ["create", "comment", "comment"])
        }
    }
}

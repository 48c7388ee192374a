import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

/// The PagerDuty adapter against a fake that follows the Events API v2's OpenAPI description
/// (https://github.com/PagerDuty/api-schema/blob/main/reference/events-v2/openapiv3.json) and PagerDuty's "Event
/// Management" article (https://support.pagerduty.com/docs/event-management). Each test quotes the part it checks.
@Suite("PagerDuty contract")
struct PagerDutyContractTests {
    static let routingKey = "R0UT1NGK3Y0000000000000000000000"

    static func target(_ baseURL: String, _ client: CurlHTTPClient, routingKey: String = routingKey) -> PagerDutyTarget
    {
        var configuration = PagerDutyConfiguration(routingKey: Secret(routingKey))
        configuration.baseURL = baseURL
        return PagerDutyTarget(configuration: configuration, client: client, logger: testLogger)
    }

    /// "dedup_key — Identifies the alert to trigger, acknowledge, or resolve"; "If there is already an open incident
    /// with a matching key, this event will be appended to that incident's alert log". Create and update are triggers
    /// of one alert, resolve resolves it; a reply has no event and is refused as unsupported, never sent.
    @Test func aWholeLifecycleIsOneAlert() async throws {
        let api = FakePagerDutyAPI()
        try await withFake(api) { server, baseURL, client in
            let id = try await runLifecycle(Self.target(baseURL, client), expectComment: false)
            #expect(id == "am:0123456789abcdef", "the dedup key is the incident id")
            #expect(server.ledger.incidents.count == 1)
            let alert = try #require(server.ledger.incidents.first)
            #expect(alert.calls == ["create", "update", "resolve"])
            #expect(alert.fields["severity"]?.string == "critical", "the update raised the severity")
            #expect(alert.isResolved)
            let requests = server.ledger.requests
            #expect(requests.count == 3, "the reply sent nothing")
            #expect(requests.allSatisfy { $0.path == "/v2/enqueue" && $0.status == 202 })
            #expect(requests.allSatisfy { $0.headers["authorization"] == nil }, "the routing key is the credential")
            #expect(requests.allSatisfy { !$0.body.contains(Self.routingKey) }, "/_mock/requests hides the key")
        }
    }

    /// "event_action — The type of event. Can be trigger, acknowledge or resolve." An acknowledged alert sends an
    /// acknowledge; a trigger after the resolve opens a new alert under the same key.
    @Test func acknowledgeAndFiringAgain() async throws {
        let api = FakePagerDutyAPI()
        try await withFake(api) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            var event = sampleEvent
            func send(_ action: IncidentCommand.Action) async -> TargetOutcome {
                await target.execute(
                    IncidentCommand(action: action, dedupKey: "k", externalID: "k", event: event, reason: "t")
                )
            }
            #expect(await send(.create).failure == nil)
            event.status = .acknowledged
            #expect(await send(.update).failure == nil)
            #expect(api.openAlert("k")?.fields["status"]?.string == "acknowledged")
            #expect(await send(.resolve).failure == nil)
            event.status = .firing
            #expect(await send(.create).failure == nil)
            #expect(server.ledger.incidents.map(\.calls) == [["create", "acknowledge", "resolve"], ["create"]])
            #expect(await target.lookup(dedupKey: "k") == .notFound, "no lookup call: a trigger again is harmless")
        }
    }

    /// Payload: "required: summary, severity, source"; severity "enum: critical, warning, error, info";
    /// "dedup_key … Required unless the event_type is trigger"; request body `application/json`; 400 "Bad Request -
    /// Check that the JSON is valid" (not retried). A summary over 1,024 characters is cut, not refused.
    @Test func theFakeTakesOnlyWhatTheDocumentDescribes() async throws {
        try await withFake(FakePagerDutyAPI()) { _, baseURL, client in
            let executor = TargetExecutor(
                adapter: "pagerduty",
                authentication: .none,
                client: client,
                timeout: .seconds(5),
                logger: testLogger
            )
            func send(_ body: String, type: String = "application/json") async throws -> Int {
                try await executor.send(
                    HTTPRequest(
                        method: "POST",
                        url: baseURL + "/v2/enqueue",
                        headers: [HTTPHeader("Content-Type", type)],
                        body: Array(body.utf8)
                    )
                ).status
            }
            let key = #""routing_key":"\#(Self.routingKey)""#
            let payload = #""payload":{"summary":"s","source":"db-1","severity":"error"}"#
            let statuses = [
                try await send(#"{\#(key),"event_action":"trigger",\#(payload)}"#),
                try await send(#"{\#(key),"event_action":"trigger",\#(payload)}"#, type: "text/plain"),
                try await send(#"{"routing_key":"wrong","event_action":"trigger",\#(payload)}"#),
                try await send(#"{\#(key),"event_action":"trigger","payload":{"summary":"s","source":"db-1"}}"#),
                try await send(
                    #"{\#(key),"event_action":"trigger","payload":{"summary":"s","source":"db-1","severity":"high"}}"#
                ),
                try await send(#"{\#(key),"event_action":"resolve"}"#),
                try await send(#"{\#(key),"event_action":"close","dedup_key":"k"}"#),
            ]
            #expect(statuses == [202, 400, 400, 400, 400, 400, 400])

            let wrongKey = await Self.target(baseURL, client, routingKey: "not-the-key").execute(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "t")
            )
            #expect(wrongKey.failure?.code == .rejected)
            #expect(wrongKey.failure?.message.contains("'routing_key' is invalid") == true, "\(wrongKey)")
            #expect(wrongKey.failure?.message.contains("not-the-key") == false)

            var long = sampleEvent
            long.title = String(repeating: "t", count: 2000)
            let cut = await Self.target(baseURL, client).execute(
                IncidentCommand(action: .create, dedupKey: "long", event: long, reason: "t")
            )
            #expect(cut.failure == nil, "\(cut)")
        }
    }

    /// "429 — Too many API calls at a time. Yes - retry after some time"; "500 or other 5XX … Yes - retry after some
    /// time"; "be sure to retry on a 429 response code, preferably with a back off". No retry header is documented, so
    /// the worker's own back-off applies.
    @Test func throttledAndFailedEventsAreRetried() async throws {
        var faults = FakeFaults()
        faults.throttleEvery = 2
        try await withFake(FakePagerDutyAPI(), faults: faults) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let command = IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "t")
            #expect(await target.execute(command).failure == nil)
            let throttled = await target.execute(command)
            let failure = try #require(throttled.failure)
            #expect(throttled == .retryable(failure, retryAfter: nil))
            #expect(throttled.failure?.code == .throttled)
            server.setDown(true)
            let down = await target.execute(command)
            #expect(down.failure?.code == .unavailable)
            guard case .retryable = down else { throw TargetFailureOutcome(down) }
        }
    }
}

import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

/// The Motadata adapter's default, the incident API, against a fake that follows seed 000 (Motadata's "Update an
/// Incident" page). Each test quotes the part of the seed it checks.
@Suite("Motadata ServiceOps contract")
struct MotadataContractTests {
    static func target(_ baseURL: String, _ client: CurlHTTPClient) -> MotadataTarget {
        MotadataTarget(
            configuration: MotadataTests().configuration(baseURL, api: .incident),
            client: client,
            logger: testLogger
        )
    }

    static func send(
        _ target: MotadataTarget,
        _ action: IncidentCommand.Action,
        id: String? = nil,
        event: NormalizedEvent = sampleEvent
    ) async throws -> String {
        let outcome = await target.execute(
            IncidentCommand(action: action, dedupKey: "am:1", externalID: id, event: event, reason: "test")
        )
        guard case .success(let returned, _) = outcome else { throw TargetFailureOutcome(outcome) }
        return returned ?? id ?? ""
    }

    /// Seed 000: "POST Update an Incident — {{server-url}}/api/v1/incident/{{Incident-Id}}", header "Authorization |
    /// Bearer {access token obtained after authorization}", "Content-Type | application/json", and the body's keys
    /// from the page's table, answered `{"returnCode": "SUCCESS", "status": 0, "userMessage": null, "id": 501}`.
    @Test func updatesArePostsOfThePagesFieldsWithABearerToken() async throws {
        try await withFake(FakeMotadataAPI(apiKey: "unused")) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.send(target, .create)
            var worse = sampleEvent
            worse.severity = .critical
            _ = try await Self.send(target, .update, id: id, event: worse)
            let update = try #require(server.ledger.requests.last)
            #expect(update.method == "POST" && update.path == "/api/v1/incident/\(id)" && update.status == 200)
            #expect(update.headers["authorization"] == "Bearer [redacted]")
            #expect(update.headers["content-type"] == "application/json")
            let keys = Set(try JSONParser().parse(Array(update.body.utf8)).object?.keys ?? [])
            #expect(keys == ["subject", "description", "priority", "urgency", "impact"])
            #expect(server.ledger.incident(id)?.fields["priority"]?.string == "URGENT")
        }
    }

    /// Seed 000's table: `description — Description of an Incident`, `locationName`, `tags`, … — the update sends
    /// only what ingestor owns, and the description's part below the marker line (replies, a person's lines) is
    /// kept through every update.
    @Test func aPersonsEditsAndRepliesSurviveUpdates() async throws {
        let api = FakeMotadataAPI(apiKey: "unused")
        try await withFake(api) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.send(target, .create)
            var reply = sampleEvent
            reply.description = "Restarted the service."
            _ = try await Self.send(target, .comment, id: id, event: reply)
            var event = sampleEvent
            for severity in [Severity.critical, .low] {
                // A person works the incident between two updates.
                api.setField(incident: id, "locationName", .string("DC-2"))
                api.setField(incident: id, "tags", .array([.string("ingestor"), .string("storage-team")]))
                api.appendToDescription(incident: id, "\n\nOps: vendor ticket 4711")
                event.severity = severity
                _ = try await Self.send(target, .update, id: id, event: event)
            }
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "comment", "update", "update"])
            #expect(incident.fields["locationName"]?.string == "DC-2")
            #expect(incident.fields["tags"]?.array?.contains(.string("storage-team")) == true)
            let description = incident.fields["description"]?.string ?? ""
            #expect(description.contains("Restarted the service."), "the reply survives")
            #expect(description.ranges(of: "Ops: vendor ticket 4711").count == 2, "both of the person's lines")
            #expect(incident.fields["priority"]?.string == "LOW")
        }
    }

    /// Seed 000: `impact — ENUM — Possible values: LOW, ONUSER , ONDEPARTMENT, Or ONBUSINESS`; the curl example posts
    /// to `/api/incident/{{Incident-Id}}` with `{"status":"Resolved"}`; a key the table does not list is refused, and
    /// the request API's `Apikey` is not this page's authorization.
    @Test func theFakeTakesOnlyWhatThePageDescribes() async throws {
        try await withFake(FakeMotadataAPI(apiKey: "api-key")) { _, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.send(target, .create)
            let executor = TargetExecutor(
                adapter: "motadata",
                authentication: MotadataTests.passwordGrant(baseURL),
                client: client,
                timeout: .seconds(5),
                logger: testLogger
            )
            func post(_ path: String, _ body: String, type: String = "application/json") async throws -> Int {
                try await executor.send(
                    HTTPRequest(
                        method: "POST",
                        url: baseURL + path,
                        headers: [HTTPHeader("Content-Type", type)],
                        body: Array(body.utf8)
                    )
                ).status
            }
            let statuses = [
                try await post("/api/v1/incident/\(id)", #"{"impact":"ONBUSINESS"}"#),
                try await post("/api/v1/incident/\(id)", #"{"impact":"On Business"}"#),
                try await post("/api/v1/incident/\(id)", #"{"owner":"x"}"#),
                try await post("/api/v1/incident/\(id)", #"{"impact":"LOW"}"#, type: "text/plain"),
                try await post("/api/incident/\(id)", #"{"status":"Resolved"}"#),
                try await post("/api/v1/request", #"{"subject":"s","requesterEmail":"ingestor@example.com"}"#),
            ]
            #expect(statuses == [200, 400, 400, 415, 200, 404])
            let apikey = try await client.execute(
                HTTPRequest(
                    method: "GET",
                    url: baseURL + "/api/v1/incident/\(id)",
                    headers: [HTTPHeader("Authorization", "Apikey api-key")]
                )
            )
            #expect(apikey.status == 401)
        }
    }

    /// The request API (`api: request`, the variant) keeps its own lifecycle: PATCH, then conversation notes.
    @Test func theRequestAPIVariantRunsTheLifecycle() async throws {
        try await withFake(FakeMotadataAPI(apiKey: MotadataTests.apiKey, variants: [.requestAPI])) {
            server,
            baseURL,
            client in
            let target = MotadataTarget(
                configuration: MotadataTests().configuration(baseURL, api: .request),
                client: client,
                logger: testLogger
            )
            let id = try await runLifecycle(target)
            #expect(server.ledger.incident(id)?.notes.count == 2)
            #expect(server.ledger.requests.first?.headers["authorization"] == "Apikey [redacted]")
        }
    }
}

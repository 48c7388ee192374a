import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

/// The ServiceDesk adapter against a fake that follows seed 003 (Broadcom's "ServiceDesk - API - Incident"). Each
/// test quotes the part of the seed it checks.
@Suite("Symantec ServiceDesk contract")
struct SymantecContractTests {
    static func target(_ baseURL: String, _ client: CurlHTTPClient) -> SymantecTarget {
        SymantecTarget(configuration: SymantecTests().configuration(baseURL), client: client, logger: testLogger)
    }

    static func send(
        _ target: SymantecTarget,
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

    /// Seed 003, PUT: "Can be used to modify certain fields on an existing incident, including title, description,
    /// impact/urgency and classification information. The state of the incident workflow will not be affected".
    /// A reply appended to the description, and what a technician set, survive every update.
    @Test func aTechniciansEditsAndRepliesSurviveUpdates() async throws {
        let api = FakeSymantecAPI()
        try await withFake(api) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.send(target, .create)
            var reply = sampleEvent
            reply.description = "Swapped the disk."
            _ = try await Self.send(target, .comment, id: id, event: reply)
            var event = sampleEvent
            for severity in [Severity.critical, .low] {
                // A technician works the incident between two updates.
                api.setField(incident: id, "classification", "Hardware.Desktop.Disk")
                api.setField(incident: id, "affectedLocationId", "1419220b-67cd-4a75-a3a3-54c6e1e90f3f")
                api.appendToDescription(incident: id, "\n\nTech: ordered a spare")
                event.severity = severity
                _ = try await Self.send(target, .update, id: id, event: event)
            }
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "comment", "update", "update"])
            #expect(incident.fields["classification"]?.string == "Hardware.Desktop.Disk")
            #expect(incident.fields["affectedLocationId"]?.string == "1419220b-67cd-4a75-a3a3-54c6e1e90f3f")
            #expect(incident.fields["priority"]?.string == "Minor")
            #expect(incident.fields["status"]?.string == "Assigned", "a PUT never moves the workflow")
            let description = incident.fields["incidentDescription"]?.string ?? ""
            #expect(description.hasPrefix("Disk /var is 97% full"))
            #expect(description.contains("Swapped the disk."), "the reply survives")
            #expect(description.ranges(of: "Tech: ordered a spare").count == 2, "both of the technician's lines")
        }
    }

    /// Seed 003: "Request Formats — application/json, text/json", the `Incident` object's fields, "AffectedUserEmail
    /// … is required", "AffectedLocationId … globally unique identifier"; PATCH: "These two fields are required."
    @Test func theFakeTakesOnlyWhatThePageDescribes() async throws {
        try await withFake(FakeSymantecAPI()) { _, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.send(target, .create)
            let executor = TargetExecutor(
                adapter: "symantec",
                authentication: SymantecTests().configuration(baseURL).authentication,
                client: client,
                reauthenticateOn: [403],
                timeout: .seconds(5),
                logger: testLogger
            )
            func call(_ method: String, _ body: String, type: String = "application/json") async throws -> Int {
                try await executor.send(
                    HTTPRequest(
                        method: method,
                        url: baseURL + "/ServiceDeskApi/api/incident" + (method == "POST" ? "" : "/\(id)"),
                        headers: [HTTPHeader("Content-Type", type)],
                        body: Array(body.utf8)
                    )
                ).status
            }
            let statuses = [
                try await call("PUT", #"{"IncidentName":"renamed"}"#),
                try await call("PUT", #"{"incidentName":"renamed"}"#, type: "text/json"),
                try await call("PUT", #"{"incidentName":"renamed"}"#, type: "text/plain"),
                try await call("PUT", #"{"owner":"x"}"#),
                try await call("PUT", #"{"affectedLocationId":"not-a-guid"}"#),
                try await call("POST", #"{"incidentName":"n"}"#),
                try await call("PATCH", #"{"resolution":"done"}"#),
            ]
            #expect(statuses == [200, 200, 415, 400, 400, 400, 400])
        }
    }

    /// Seed 003 leaves the create's "Response Formats" empty: an `Incident` with its `sessionId`, or the bare GUID,
    /// both work.
    @Test(arguments: [[], [FakeSymantecAPI.Variant.guidAnswer]] as [Set<FakeSymantecAPI.Variant>])
    func eitherCreateAnswerRunsTheLifecycle(_ variants: Set<FakeSymantecAPI.Variant>) async throws {
        try await withFake(FakeSymantecAPI(variants: variants)) { server, baseURL, client in
            let id = try await runLifecycle(Self.target(baseURL, client))
            #expect(server.ledger.incident(id)?.isResolved == true)
            #expect(server.ledger.requests.last?.headers["authorization"] == "token [redacted]")
        }
    }
}

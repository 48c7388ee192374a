import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

/// The OneTrust adapter against a fake that follows seed 001 (OneTrust's "Update Incident" reference) and the
/// OpenAPI spec it comes from. Each test quotes the part of the seed it checks.
@Suite("OneTrust contract")
struct OneTrustContractTests {
    static func target(_ baseURL: String, _ client: CurlHTTPClient) -> OneTrustTarget {
        OneTrustTarget(configuration: OneTrustTests().configuration(baseURL), client: client, logger: testLogger)
    }

    static func send(
        _ target: OneTrustTarget,
        _ action: IncidentCommand.Action,
        id: String? = nil,
        key: String = "am:1",
        event: NormalizedEvent = sampleEvent
    ) async throws -> String {
        let outcome = await target.execute(
            IncidentCommand(action: action, dedupKey: key, externalID: id, event: event, reason: "test")
        )
        guard case .success(let returned, _) = outcome else { throw TargetFailureOutcome(outcome) }
        return returned ?? id ?? ""
    }

    /// Seed 001: "jurisdictions — array of objects", "attributeValues … If any attribute value is missing in the JSON
    /// array, the existing value for that attribute will be overridden, and the attribute will have empty values."
    /// An update is a replacement, so everything a person set must be sent back, replies below the marker included.
    @Test func aPersonsEditsAndRepliesSurviveUpdates() async throws {
        let api = FakeOneTrustAPI()
        try await withFake(api) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.send(target, .create)
            var reply = sampleEvent
            reply.description = "Customer notified."
            reply.isReply = true
            _ = try await Self.send(target, .comment, id: id, event: reply)
            var event = sampleEvent
            for severity in [Severity.critical, .low] {
                // A person works the incident between two updates.
                api.setJurisdictions(incident: id, [("USA", "CA"), ("DEU", nil)])
                api.setField(incident: id, "rootCause", .string("a misrouted mail"))
                api.setField(incident: id, "deadline", .string("2024-06-01T00:00:00.000Z"))
                api.setAttribute(incident: id, "Ticket Reference", "CHG-7")
                api.appendToDescription(incident: id, "\n\nDPO: informed the regulator")
                event.severity = severity
                _ = try await Self.send(target, .update, id: id, event: event)
            }
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "comment", "update", "update"])
            let jurisdictions = incident.fields["jurisdictions"]?.array ?? []
            #expect(jurisdictions.compactMap { $0["countryCode"]?.string } == ["USA", "DEU"])
            #expect(jurisdictions.first?["stateProvinceCode"]?.string == "CA")
            #expect(incident.fields["rootCause"]?.string == "a misrouted mail")
            #expect(incident.fields["deadline"]?.string == "2024-06-01T00:00:00.000Z")
            #expect(incident.fields["attributeValues"]?["Ticket Reference"]?.array?.first?["value"]?.string == "CHG-7")
            #expect(incident.fields["attributeValues"]?["Severity"]?.array?.first?["value"]?.string == "Low")
            let description = incident.fields["description"]?.string ?? ""
            #expect(description.hasPrefix("Severity: low"))
            #expect(description.contains("Customer notified."), "the reply survives")
            #expect(description.ranges(of: "DPO: informed the regulator").count == 2, "both of the DPO's lines")
            #expect(
                await target.lookup(dedupKey: "am:1") == .found(externalID: id, status: .open),
                "found after replies"
            )
        }
    }

    /// Seed 001 "Body Params": "string required — Name of the incident", "string required, Defaults to Unknown — The
    /// name of the type of incident", "uuid required — Incident Organization ID"; the spec's request body is
    /// `application/json`.
    @Test func theFakeTakesOnlyWhatTheReferenceDescribes() async throws {
        try await withFake(FakeOneTrustAPI()) { _, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.send(target, .create)
            let executor = TargetExecutor(
                adapter: "onetrust",
                authentication: OneTrustTests().configuration(baseURL).authentication,
                client: client,
                timeout: .seconds(5),
                logger: testLogger
            )
            func put(_ body: String, type: String = "application/json") async throws -> Int {
                try await executor.send(
                    HTTPRequest(
                        method: "PUT",
                        url: baseURL + "/api/incident/v1/incidents/\(id)",
                        headers: [HTTPHeader("Content-Type", type)],
                        body: Array(body.utf8)
                    )
                ).status
            }
            let required = #""name":"n","incidentTypeName":"Unknown","orgGroupId":"\#(FakeOneTrustAPI.orgGroupID)""#
            let statuses = [
                try await put("{\(required)}"), try await put("{\(required)}", type: "text/plain"),
                try await put(#"{"name":"n","incidentTypeName":"Unknown"}"#),
                try await put(#"{\#(required),"jurisdictions":[{"countryCode":"USA"}]}"#),
                try await put(#"{\#(required),"owner":"x"}"#),
            ]
            #expect(statuses == [200, 415, 400, 400, 400])
        }
    }

    /// The replacement the adapter guards against: a PUT that leaves jurisdictions out takes them away.
    @Test func aPutWithoutJurisdictionsClearsThem() async throws {
        let api = FakeOneTrustAPI()
        try await withFake(api) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.send(target, .create)
            api.setJurisdictions(incident: id, [("GBR", nil)])
            let builder = OneTrustRequestBuilder(configuration: OneTrustTests().configuration(baseURL))
            let naive = JSONObject([
                ("name", .string("x")), ("incidentTypeName", .string("Service Outage")),
                ("orgGroupId", .string(FakeOneTrustAPI.orgGroupID)),
            ])
            let executor = TargetExecutor(
                adapter: "onetrust",
                authentication: OneTrustTests().configuration(baseURL).authentication,
                client: client,
                timeout: .seconds(5),
                logger: testLogger
            )
            _ = try await executor.send(builder.put(id, naive))
            #expect(server.ledger.incident(id)?.fields["jurisdictions"] == nil)
        }
    }

    /// Lookups take the open incident carrying the key's marker line, never one whose marker is a longer key.
    @Test func lookupTakesTheOpenIncidentOfTheKey() async throws {
        try await withFake(FakeOneTrustAPI()) { _, baseURL, client in
            let target = Self.target(baseURL, client)
            let old = try await Self.send(target, .create)
            _ = try await Self.send(target, .resolve, id: old)
            #expect(await target.lookup(dedupKey: "am:1") == .found(externalID: old, status: .closed))
            _ = try await Self.send(target, .create, key: "am:12")
            let new = try await Self.send(target, .create)
            #expect(await target.lookup(dedupKey: "am:1") == .found(externalID: new, status: .open))
        }
    }

    @Test func jurisdictionsBecomeRequestsWithoutTheirGuidance() {
        let requests = OneTrustRequestBuilder.jurisdictionRequests(
            .array([
                .object(
                    JSONObject([
                        ("jurisdictionId", .string("j-1")), ("countryCode", .string("USA")),
                        ("stateProvinceCode", .string("CA")), ("countryName", .string("United States")),
                        ("numberOfGuidances", .number("2")),
                    ])
                ),
                .object(JSONObject([("regionName", .string("EMEA"))])),
            ])
        )
        #expect(requests?.count == 1, "an entry without countryCode cannot be sent back")
        #expect(requests?.first?.object?.keys.sorted() == ["countryCode", "jurisdictionId", "stateProvinceCode"])
        #expect(OneTrustRequestBuilder.jurisdictionRequests(nil) == nil)
    }
}

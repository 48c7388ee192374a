import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

/// The DevRev adapter against a fake that follows seed 002 (DevRev's "Update Incident" reference) and the OpenAPI
/// spec it comes from. Each test quotes the part of the seed it checks.
@Suite("DevRev contract")
struct DevRevContractTests {
    static func target(_ baseURL: String, _ client: CurlHTTPClient) -> DevRevTarget {
        var configuration = DevRevConfiguration(
            token: Secret("tok-123456"),
            resolvedStage: FakeDevRevAPI.stages["resolved"]!
        )
        configuration.baseURL = baseURL
        configuration.tagLabels = ["alertname", "instance"]
        return DevRevTarget(configuration: configuration, client: client, logger: testLogger)
    }

    /// Seed 002: "POST /incidents.update — Authorization: Bearer <token>"; "owned_by?update-incident-owned-by",
    /// "tags?update-incident-tags" (the spec's `update-incident-tags` has only `set`: "Sets the tags associated with
    /// the object"). An update sends only what ingestor owns, and sets the tags with the ones people added kept.
    @Test func aPersonsTagsAndOwnersSurviveUpdates() async throws {
        let api = FakeDevRevAPI(token: "tok-123456")
        try await withFake(api) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let created = await target.execute(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new")
            )
            guard case .success(let id?, _) = created else { throw TargetFailureOutcome(created) }
            var event = sampleEvent
            for (severity, instance) in [(Severity.critical, "db-2"), (.low, "db-3")] {
                // A person works the incident between two updates.
                api.addTag(incident: id, "customer-facing")
                api.setOwners(incident: id, ["don:identity:dvrv-us-1:devo/fake:devu/7"])
                event.severity = severity
                event.labels["instance"] = instance
                let outcome = await target.execute(
                    IncidentCommand(action: .update, dedupKey: "k", externalID: id, event: event, reason: "worse")
                )
                #expect(outcome.failure == nil, "\(outcome)")
            }
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "update", "update"])
            let tagIDs = Set((incident.fields["tags"]?.array ?? []).compactMap(\.string))
            #expect(api.tagNames.contains("customer-facing") && api.tagNames.contains("instance:db-2"))
            // Four tags exist; the incident carries the person's, alertname and the current instance, not db-2's.
            #expect(tagIDs.count == 3, "\(api.tagNames)")
            #expect(incident.fields["owned_by"]?.array?.first?.string == "don:identity:dvrv-us-1:devo/fake:devu/7")
            let update = try #require(server.ledger.requests.last { $0.path == "/incidents.update" })
            #expect(update.headers["authorization"] == "Bearer [redacted]")
            #expect(!update.body.contains("owned_by"), "an update never sends what people own")
        }
    }
}

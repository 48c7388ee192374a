import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

@Suite("OneTrust adapter")
struct OneTrustTests {
    func configuration(_ baseURL: String) -> OneTrustConfiguration {
        var configuration = OneTrustConfiguration(
            baseURL: baseURL,
            authentication: .clientCredentials(
                .init(
                    tokenURL: baseURL + "/api/access/v1/oauth/token",
                    clientID: "ingestor",
                    clientSecret: Secret("client-secret"),
                    multipart: true
                )
            ),
            orgGroupID: FakeOneTrustAPI.orgGroupID,
            resolvedStage: "Closed"
        )
        configuration.severityAttribute = "Severity"
        configuration.incidentTypeName = "Service Outage"
        return configuration
    }

    @Test func createCarriesTheRequiredFieldsTheSeverityAttributeAndTheMarker() throws {
        let request = OneTrustRequestBuilder(configuration: configuration("https://app.onetrust.com")).create(
            IncidentCommand(action: .create, dedupKey: "am:1", event: sampleEvent, reason: "new")
        )
        #expect(request.url == "https://app.onetrust.com/api/incident/v1/incidents")
        let body = try #require(try JSONParser().parse(request.body ?? []).object)
        #expect(body["name"]?.string == "DiskFull on db-1")
        #expect(body["incidentTypeName"]?.string == "Service Outage")
        #expect(body["orgGroupId"]?.string == FakeOneTrustAPI.orgGroupID)
        #expect(body["sourceType"]?.string == "INTEGRATION")
        #expect(body["attributeValues"]?["Severity"]?.array?.first?["value"]?.string == "High")
        #expect(body["description"]?.string?.hasSuffix("ingestor-dedup-key: am:1") == true)
        #expect(body["dateOccurred"]?.string == "2024-05-01T12:00:00.000Z")
    }

    @Test func theReplacementKeepsWhatOneTrustHasAndChangesWhatTheEventChanges() {
        let details = JSONObject([
            ("id", .string("i-1")), ("name", .string("old")), ("description", .string("old text")),
            ("incidentTypeName", .string("Service Outage")), ("orgGroupId", .string("org")),
            ("rootCause", .string("a bad disk")), ("sourceType", .string("NONE")),
            ("notificationNeeded", .string("NO")),
            (
                "attributeValues",
                .object(
                    JSONObject([
                        (
                            "Ticket Reference",
                            .array([.object(JSONObject([("value", .string("CHG-7")), ("disabled", .bool(false))]))])
                        ),
                        (
                            "Severity",
                            .array([.object(JSONObject([("id", .string("opt-Low")), ("value", .string("Low"))]))])
                        ),
                    ])
                )
            ),
            (
                "incidentAssigneeInformation",
                .array([
                    .object(
                        JSONObject([
                            ("assigneeId", .string("u-9")), ("type", .string("USER")), ("assigneeName", .string("Jo")),
                        ])
                    )
                ])
            ),
            ("incidentStatus", .string("OPEN")),
        ])
        let builder = OneTrustRequestBuilder(configuration: configuration("https://x"))
        var event = sampleEvent
        event.severity = .critical
        let body = builder.replacement(from: details, event: event, dedupKey: "k")
        #expect(body["rootCause"]?.string == "a bad disk", "fields ingestor does not own are carried")
        #expect(body["notificationNeeded"]?.string == "NO")
        #expect(body["sourceType"] == nil, "NONE is read-only, not a value the update takes")
        #expect(body["attributeValues"]?["Ticket Reference"]?.array?.first?["value"]?.string == "CHG-7")
        #expect(body["attributeValues"]?["Ticket Reference"]?.array?.first?["disabled"] == nil)
        #expect(body["attributeValues"]?["Severity"]?.array?.first?["value"]?.string == "Critical")
        #expect(body["incidentAssigneeRequests"]?.array?.first?["assigneeId"]?.string == "u-9")
        #expect(body["incidentStatus"] == nil && body["id"] == nil, "response-only fields are not sent")
        #expect(body["name"]?.string == "DiskFull on db-1")
        let reply = builder.replacement(from: details, event: nil, dedupKey: "k", appending: "Reply: on it")
        #expect(reply["name"]?.string == "old")
        #expect(reply["description"]?.string == "old text\n\nReply: on it")
    }

    @Test func lifecycleAgainstTheFakeKeepsAttributesPeopleSet() async throws {
        let api = FakeOneTrustAPI()
        try await withFake(api) { server, baseURL, client in
            let target = OneTrustTarget(configuration: configuration(baseURL), client: client, logger: testLogger)
            #expect(await target.lookup(dedupKey: "am:0123456789abcdef") == .notFound)
            let created = await target.execute(
                IncidentCommand(action: .create, dedupKey: "am:0123456789abcdef", event: sampleEvent, reason: "new")
            )
            guard case .success(let id?, 201) = created else {
                Issue.record("create failed: \(created)")
                return
            }
            api.setAttribute(incident: id, "Ticket Reference", "CHG-7")
            #expect(await target.lookup(dedupKey: "am:0123456789abcdef") == .found(externalID: id, status: .open))
            #expect(await target.lookup(dedupKey: "am:0123") == .notFound, "the marker must match exactly")

            var changed = sampleEvent
            changed.severity = .critical
            let updated = await target.execute(
                IncidentCommand(
                    action: .update,
                    dedupKey: "am:0123456789abcdef",
                    externalID: id,
                    event: changed,
                    reason: "worse"
                )
            )
            #expect(updated.failure == nil, "\(updated)")
            var reply = changed
            reply.description = "Looking into it."
            reply.isReply = true
            let commented = await target.execute(
                IncidentCommand(
                    action: .comment,
                    dedupKey: "am:0123456789abcdef",
                    externalID: id,
                    event: reply,
                    reason: "reply"
                )
            )
            #expect(commented.failure == nil, "\(commented)")
            changed.status = .resolved
            let resolved = await target.execute(
                IncidentCommand(
                    action: .resolve,
                    dedupKey: "am:0123456789abcdef",
                    externalID: id,
                    event: changed,
                    reason: "r"
                )
            )
            #expect(resolved.failure == nil, "\(resolved)")

            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "update", "comment", "resolve"])
            #expect(incident.isResolved)
            #expect(incident.fields["attributeValues"]?["Ticket Reference"]?.array?.first?["value"]?.string == "CHG-7")
            #expect(incident.fields["attributeValues"]?["Severity"]?.array?.first?["value"]?.string == "Critical")
            #expect(incident.fields["description"]?.string?.hasSuffix("Looking into it.") == true)
            #expect(api.tokensIssued == 1)
        }
    }

    @Test func theFakeWipesAttributesAnUpdateLeavesOut() async throws {
        // What the replacement guards against: a PUT without the attribute empties it.
        let api = FakeOneTrustAPI()
        try await withFake(api) { server, baseURL, client in
            let target = OneTrustTarget(configuration: configuration(baseURL), client: client, logger: testLogger)
            guard
                case .success(let id?, _) = await target.execute(
                    IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new")
                )
            else {
                Issue.record("create failed")
                return
            }
            api.setAttribute(incident: id, "Ticket Reference", "CHG-7")
            let builder = OneTrustRequestBuilder(configuration: configuration(baseURL))
            let naive = JSONObject([
                ("name", .string("x")), ("incidentTypeName", .string("Service Outage")),
                ("orgGroupId", .string(FakeOneTrustAPI.orgGroupID)),
            ])
            let auth = AuthorizedClient(
                client: client,
                authentication: configuration(baseURL).authentication,
                redactor: Redactor()
            )
            _ = await auth.send(builder.put(id, naive))
            #expect(server.ledger.incident(id)?.fields["attributeValues"]?["Ticket Reference"]?.array?.isEmpty == true)
        }
    }

    @Test func wrongOrganizationAndUnknownStageAreRefused() async throws {
        try await withFake(FakeOneTrustAPI()) { _, baseURL, client in
            var settings = configuration(baseURL)
            settings.orgGroupID = "00000000-0000-0000-0000-000000000000"
            let foreign = await OneTrustTarget(configuration: settings, client: client, logger: testLogger).execute(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new")
            )
            #expect(foreign.failure?.code == .forbidden)
            settings = configuration(baseURL)
            settings.resolvedStage = "Done"
            let target = OneTrustTarget(configuration: settings, client: client, logger: testLogger)
            guard
                case .success(let id?, _) = await target.execute(
                    IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new")
                )
            else {
                Issue.record("create failed")
                return
            }
            var resolved = sampleEvent
            resolved.status = .resolved
            let outcome = await target.execute(
                IncidentCommand(action: .resolve, dedupKey: "k", externalID: id, event: resolved, reason: "r")
            )
            #expect(outcome.failure?.code == .rejected)
        }
    }

    @Test func labelsFillTextAttributes() throws {
        var settings = configuration("https://x")
        settings.labelAttributes = ["Ticket Reference": "instance"]
        let request = OneTrustRequestBuilder(configuration: settings).create(
            IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n")
        )
        let body = try #require(try JSONParser().parse(request.body ?? []).object)
        #expect(body["attributeValues"]?["Ticket Reference"]?.array?.first?["value"]?.string == "db-1")
        #expect(body["attributeValues"]?["Severity"] != nil)
    }
}

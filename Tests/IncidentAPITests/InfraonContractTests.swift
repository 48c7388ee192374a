import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

/// The Infraon adapter against a fake that follows seed 004 (Infraon's API guide, "Modules › Incident") and, with
/// variants, what Fortinet's connector shows real tenants doing. Each test quotes the part of the seed it checks.
@Suite("Infraon Infinity contract")
struct InfraonContractTests {
    typealias Variant = FakeInfraonAPI.Variant

    static func target(_ baseURL: String, _ client: CurlHTTPClient, prefix: String = "") -> InfraonTarget {
        var configuration = InfraonTests.configuration(
            baseURL,
            authentication: .header(name: "Authorization", value: Secret(prefix + "inf-key-123"))
        )
        configuration.resolvedStatusID = 4
        return InfraonTarget(configuration: configuration, client: client, logger: testLogger)
    }

    static func create(_ target: InfraonTarget, key: String = "k") async throws -> String {
        let created = await target.execute(
            IncidentCommand(action: .create, dedupKey: key, event: sampleEvent, reason: "new")
        )
        guard case .success(let id?, _) = created else { throw TargetFailureOutcome(created) }
        return id
    }

    /// Seed 004: "This endpoint is used to save a new incident for the current organization / No response body /
    /// No content / POST /ux/sd/inci/incident/ HTTP/1.1 / Authorization: YOUR_API_KEY / Content-Type:
    /// application/json".
    @Test func aCreateAnsweredWithNoBodyIsFoundByItsMarker() async throws {
        let api = FakeInfraonAPI(apiKey: "inf-key-123")
        try await withFake(api) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let first = try await Self.create(target, key: "k1")
            let second = try await Self.create(target, key: "k2")
            #expect(first == server.ledger.incidents[0].id && second == server.ledger.incidents[1].id)
            let creates = server.ledger.requests.filter { $0.method == "POST" }
            #expect(creates.allSatisfy { $0.status == 201 })
            #expect(creates.first?.headers["authorization"] == "[redacted]", "the bare key, as the guide sends it")
            #expect(creates.first?.headers["content-type"] == "application/json")
            #expect(server.ledger.requests.contains { $0.method == "GET" && $0.path == "/ux/sd/inci/incident/" })
        }
    }

    /// Seed 004's create example has flat levels (`"priority_id": 5, "priority": "Very Low"`) and no other fields
    /// than those listed; the endpoint pages send `Authorization: YOUR_API_KEY`.
    @Test func theFakeTakesOnlyWhatTheGuideShows() async throws {
        try await withFake(FakeInfraonAPI(apiKey: "k")) { _, baseURL, client in
            func post(
                _ body: String,
                authorization: String = "k",
                type: String = "application/json"
            ) async throws
                -> Int
            {
                try await client.execute(
                    HTTPRequest(
                        method: "POST",
                        url: baseURL + "/ux/sd/inci/incident/",
                        headers: [HTTPHeader("Authorization", authorization), HTTPHeader("Content-Type", type)],
                        body: Array(body.utf8)
                    )
                ).status
            }
            let good = #"{"summary":"s","requester_email":"noc@example.com","priority":"High","priority_id":2}"#
            let objects = #"{"summary":"s","requester_email":"noc@example.com","priority":{"id":2,"name":"High"}}"#
            let mismatched = #"{"summary":"s","requester_email":"noc@example.com","priority":"High","priority_id":3}"#
            let unknown = #"{"summary":"s","requester_email":"noc@example.com","owner":"x"}"#
            let statuses = [
                try await post(good), try await post(good, authorization: "ApiKey k"),
                try await post(good, type: "text/plain"), try await post(objects), try await post(mismatched),
                try await post(unknown),
            ]
            // The bare key only; JSON only; levels flat, name and id agreeing; the example's fields only.
            #expect(statuses == [201, 401, 415, 400, 400, 400])
        }
    }

    /// Seed 004: "This endpoint is used to edit an existing incident … PUT /ux/sd/inci/incident/{id}/" with the
    /// whole incident document (`incident_id`, `basic_info`, `custom_field_data`, …), as the GET answers it.
    @Test(arguments: [[], [Variant.wrappedIncident]] as [Set<Variant>])
    func aPersonsEditsSurviveUpdates(_ variants: Set<Variant>) async throws {
        let api = FakeInfraonAPI(apiKey: "inf-key-123", variants: variants)
        try await withFake(api) { server, baseURL, client in
            let target = Self.target(baseURL, client)
            let id = try await Self.create(target)
            var event = sampleEvent
            for severity in [Severity.critical, .low] {
                // A person works the ticket between two updates.
                api.setField(incident: id, "custom_field_data", .object(JSONObject([("cmdb", .string("db-1"))])))
                api.setField(incident: id, "current_assignment_info", .object(JSONObject([("group", .string("dba"))])))
                api.appendToDescription(incident: id, "\n\nJo: disk replaced")
                event.severity = severity
                let outcome = await target.execute(
                    IncidentCommand(action: .update, dedupKey: "k", externalID: id, event: event, reason: "worse")
                )
                #expect(outcome.failure == nil, "\(outcome)")
            }
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "update", "update"])
            #expect(incident.fields["custom_field_data"]?["cmdb"]?.string == "db-1")
            #expect(incident.fields["current_assignment_info"]?["group"]?.string == "dba")
            let description = incident.fields["basic_info"]?["description"]?.string ?? ""
            #expect(description.ranges(of: "Jo: disk replaced").count == 2, "both of Jo's lines")
            let priority = incident.fields["basic_info"]?["priority"]
            #expect((priority?.string ?? priority?["name"]?.string) == "Low")
        }
    }

    /// Seed 004: "POST /ux/sd/inci/incident/inci_resolve/ HTTP/1.1 / Content-Type: application/json" with an incident
    /// document; "This endpoint is used to save the rich text data. … POST /ux/sd/inci/incident/save-rich-text/".
    @Test func aResolveUsesInciResolveThenLeavesANote() async throws {
        try await withFake(FakeInfraonAPI(apiKey: "inf-key-123")) { server, baseURL, client in
            let id = try await runLifecycle(Self.target(baseURL, client))
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.isResolved)
            #expect(incident.calls == ["create", "update", "comment", "resolve", "comment"])
            #expect(incident.notes.count == 2)
            let resolve = server.ledger.requests.filter { $0.path.hasSuffix("/inci_resolve/") }
            #expect(resolve.count == 1 && resolve.first?.body == #"{"incident_id":"\#(id)"}"#)
            #expect(
                !server.ledger.requests.contains { $0.method == "PUT" && $0.sequence > (resolve.first?.sequence ?? 0) }
            )
        }
    }

    /// The documented fallback: a tenant that refuses `inci_resolve/` gets a whole-document PUT of the resolved
    /// status, its id from the GET's options or from `resolved_status_id` for a flat incident.
    @Test(arguments: [[Variant.noInciResolve], [.noInciResolve, .wrappedIncident]] as [Set<Variant>])
    func aRefusedInciResolveFallsBackToAPut(_ variants: Set<Variant>) async throws {
        try await withFake(FakeInfraonAPI(apiKey: "inf-key-123", variants: variants)) { server, baseURL, client in
            let id = try await runLifecycle(Self.target(baseURL, client))
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.isResolved)
            #expect(incident.calls.suffix(2) == ["resolve", "comment"])
        }
        try await withFake(FakeInfraonAPI(apiKey: "inf-key-123", variants: [.noInciResolve])) { _, baseURL, client in
            let target = InfraonTarget(
                configuration: InfraonTests.configuration(baseURL),
                client: client,
                logger: testLogger
            )
            let id = try await Self.create(target)
            let outcome = await target.execute(
                IncidentCommand(action: .resolve, dedupKey: "k", externalID: id, event: sampleEvent, reason: "ok")
            )
            #expect(outcome.failure?.message.contains("target.infraon.resolved_status_id") == true, "\(outcome)")
        }
    }

    /// Every real-world variant at once, and the bare key's alternative `ApiKey <key>` (the guide's Authorization
    /// page), run the whole lifecycle.
    @Test func theConnectorsTenantRunsTheLifecycle() async throws {
        let api = FakeInfraonAPI(apiKey: "inf-key-123", variants: Set(Variant.allCases).subtracting([.noInciResolve]))
        try await withFake(api) { server, baseURL, client in
            let id = try await runLifecycle(Self.target(baseURL, client, prefix: "ApiKey "))
            #expect(server.ledger.incident(id)?.isResolved == true)
            #expect(!server.ledger.requests.contains { $0.method == "GET" && $0.path == "/ux/sd/inci/incident/" })
            #expect(server.ledger.requests.first?.headers["authorization"] == "ApiKey [redacted]")
        }
    }

    /// After a crash, the incident is found by its marker: the open one, never an older resolved one of the key.
    @Test(arguments: [[], [Variant.listEnvelope]] as [Set<Variant>])
    func lookupFindsTheOpenIncidentOfTheKey(_ variants: Set<Variant>) async throws {
        try await withFake(FakeInfraonAPI(apiKey: "inf-key-123", variants: variants)) { _, baseURL, client in
            let target = Self.target(baseURL, client)
            #expect(await target.lookup(dedupKey: "k") == .notFound)
            let old = try await Self.create(target)
            _ = await target.execute(
                IncidentCommand(action: .resolve, dedupKey: "k", externalID: old, event: sampleEvent, reason: "ok")
            )
            #expect(
                await target.lookup(dedupKey: "k") == .found(externalID: old, status: .closed),
                "only the resolved one exists"
            )
            for other in 0..<60 { _ = try await Self.create(target, key: "other-\(other)") }
            let new = try await Self.create(target)
            #expect(new != old)
            #expect(await target.lookup(dedupKey: "k") == .found(externalID: new, status: .open))
            #expect(await target.lookup(dedupKey: "other-7") != .notFound, "found on the second page")
        }
    }

    @Test func loginTokensAreSentBareAndRenewedOnce() async throws {
        let api = FakeInfraonAPI(apiKey: "unused")
        try await withFake(api) { server, baseURL, client in
            let login = Authentication.login(
                .init(
                    loginURL: baseURL + "/ux/api-token-auth/",
                    username: "ingestor",
                    password: Secret("infraon-password"),
                    tokenField: "token",
                    headerPrefix: ""
                )
            )
            var configuration = InfraonTests.configuration(baseURL, authentication: login)
            configuration.resolvedStatusID = 4
            let target = InfraonTarget(configuration: configuration, client: client, logger: testLogger)
            try await runLifecycle(target, key: "k1")
            api.expireTokens()
            try await runLifecycle(target, key: "k2")
            #expect(api.logins == 2)
            #expect(server.ledger.requests.last?.headers["authorization"] == "[redacted]")
        }
    }

    /// Refusals: the guide's `{"error": …}` with a 4xx, and the connector's 200 with `{"status": "error"}`.
    @Test func refusalsAreFinalWhetherA4xxOrA200WithStatusError() async throws {
        try await withFake(FakeInfraonAPI(apiKey: "inf-key-123")) { _, baseURL, client in
            var settings = InfraonTests.configuration(baseURL)
            settings.requesterEmail = "ghost@example.com"
            let outcome = await InfraonTarget(configuration: settings, client: client, logger: testLogger)
                .execute(IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n"))
            #expect(outcome.failure?.code == .rejected && outcome.failure?.httpStatus == 400)
            #expect(outcome.failure?.message.contains("requester") == true)
        }
        let classifier = InfraonResponseClassifier(redactor: Redactor())
        let refusal = HTTPResponse(status: 200, body: Array(#"{"status":"error","msg":"a priority change"}"#.utf8))
        #expect(throws: TargetFailureOutcome.self) { try classifier.accept(refusal) }
        #expect(classifier.refusesEndpoint(refusal))
        #expect(!classifier.refusesEndpoint(HTTPResponse(status: 503)))
    }
}

import IncidentAPIFakes
import Normalizer
import Testing

@testable import IncidentAPI

/// The generic target configured for ``FakeGenericAPI``, as the README's example does.
func genericConfiguration(_ baseURL: String, authentication: Authentication) -> GenericHTTPConfiguration {
    let labelsBody: JSONValue = .object(
        JSONObject([
            ("title", .string("{{title}}")), ("description", .string("{{body_text}}")),
            ("severity", .string("{{severity}}")), ("external_ref", .string("{{dedup_key}}")),
            ("labels", .string("{{labels}}")), ("source", .string("ingestor/{{source}}")),
        ])
    )
    var configuration = GenericHTTPConfiguration(
        baseURL: baseURL,
        authentication: authentication,
        operations: [
            .create: .init(
                method: "POST",
                path: "/api/incidents",
                body: labelsBody,
                idPointer: JSONPointer("/data/id")
            ),
            .update: .init(
                method: "PATCH",
                path: "/api/incidents/{{external_id}}",
                body: .object(
                    JSONObject([
                        ("title", .string("{{title}}")), ("severity", .string("{{severity}}")),
                        ("status", .string("{{status}}")),
                    ])
                )
            ),
            .resolve: .init(
                method: "POST",
                path: "/api/incidents/{{external_id}}/resolve",
                body: .object(JSONObject([("note", .string("Resolved at {{resolved_at}} ({{reason}})"))]))
            ),
            .comment: .init(
                method: "POST",
                path: "/api/incidents/{{external_id}}/comments",
                body: .object(JSONObject([("body", .string("{{description}}"))]))
            ),
        ]
    )
    configuration.lookup = .init(
        method: "GET",
        path: "/api/incidents?external_ref={{dedup_key}}",
        idPointer: JSONPointer("/items/0/id")
    )
    return configuration
}

@Suite("Generic HTTP target")
struct GenericHTTPTests {
    let staticToken = Authentication.header(name: "Authorization", value: Secret("Bearer generic-token-77"))

    @Test func valuesAreJSONEncodedNeverSpliced() throws {
        var event = sampleEvent
        event.title = #"evil", "severity": "info"#
        event.labels = ["team": "db\"ops", "inject": "x\r\nX-Evil: 1"]
        var configuration = genericConfiguration("https://itsm.example.com", authentication: staticToken)
        configuration.operations[.create]?.headers = [HTTPHeader("X-Team", "{{labels.inject}}")]
        let request = try GenericHTTPRequestBuilder(configuration: configuration).request(
            for: IncidentCommand(action: .create, dedupKey: "am:a/b c", event: event, reason: "new")
        )
        let body = try #require(try JSONParser().parse(request.body ?? []).object)
        #expect(body["title"]?.string == #"evil", "severity": "info"#, "the quote stays inside the string")
        #expect(body["severity"]?.string == "high")
        #expect(body["labels"]?["team"]?.string == "db\"ops", "a whole-value placeholder keeps its JSON type")
        #expect(body["source"]?.string == "ingestor/alertmanager", "placeholders inside text become text")
        #expect(request.header("X-Team") == "xX-Evil: 1", "line breaks cannot add a header")
        #expect(request.url == "https://itsm.example.com/api/incidents")
    }

    @Test func pathPlaceholdersArePercentEncoded() throws {
        let configuration = genericConfiguration("https://itsm", authentication: staticToken)
        let lookup = try #require(
            GenericHTTPRequestBuilder(configuration: configuration).lookupRequest(dedupKey: "am:a/b c&d")
        )
        #expect(lookup.url == "https://itsm/api/incidents?external_ref=am%3Aa%2Fb%20c%26d")
        let update = try GenericHTTPRequestBuilder(configuration: configuration).request(
            for: IncidentCommand(
                action: .update,
                dedupKey: "k",
                externalID: "../admin",
                event: sampleEvent,
                reason: "u"
            )
        )
        #expect(update.url == "https://itsm/api/incidents/..%2Fadmin")
    }

    @Test func unconfiguredOperationsAndMissingIdsAreUnsupported() {
        var configuration = genericConfiguration("https://itsm", authentication: staticToken)
        configuration.operations[.comment] = nil
        let builder = GenericHTTPRequestBuilder(configuration: configuration)
        #expect(throws: TargetFailure.self) {
            try builder.request(
                for: IncidentCommand(action: .comment, dedupKey: "k", externalID: "1", event: sampleEvent, reason: "c")
            )
        }
        #expect(throws: TargetFailure.self) {
            try builder.request(for: IncidentCommand(action: .update, dedupKey: "k", event: sampleEvent, reason: "u"))
        }
    }

    @Test func unknownPlaceholdersAreFoundForTheConfigCheck() {
        #expect(RequestTemplate.unknownPlaceholders(in: "/x/{{external_id}}/{{titel}}") == ["titel"])
        #expect(
            RequestTemplate.unknownPlaceholders(in: .object(JSONObject([("a", .string("{{labels.team}} {{nope}}"))])))
                == ["nope"]
        )
    }

    @Test func severityAndStatusValuesAreMapped() throws {
        var configuration = genericConfiguration("https://itsm", authentication: staticToken)
        configuration.severityValues[.high] = "P2"
        let body = try #require(
            try JSONParser().parse(
                GenericHTTPRequestBuilder(configuration: configuration).request(
                    for: IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "n")
                ).body ?? []
            ).object
        )
        #expect(body["severity"]?.string == "P2")
    }

    @Test func lifecycleWithAStaticTokenAndLookup() async throws {
        try await withFake(FakeGenericAPI(token: "generic-token-77")) { server, baseURL, client in
            let target = GenericHTTPTarget(
                configuration: genericConfiguration(baseURL, authentication: staticToken),
                client: client,
                logger: testLogger
            )
            #expect(await target.lookup(dedupKey: "am:0123456789abcdef") == .notFound)
            let id = try await runLifecycle(target)
            #expect(
                await target.lookup(dedupKey: "am:0123456789abcdef") == .found(externalID: id, status: .unknown),
                "the answer's shape is the user's: nothing says whether the incident is open"
            )
            let incident = try #require(server.ledger.incident(id))
            #expect(incident.calls == ["create", "update", "comment", "resolve"])
            #expect(incident.isResolved)
            #expect(incident.fields["severity"]?.string == "critical")
            #expect(incident.fields["title"]?.string == "DiskFull on db-1 \"quoted\" & <tagged>")
            #expect(incident.fields["resolution_note"]?.string == "Resolved at 2024-05-01T12:30:00.000Z (resolved)")
        }
    }

    @Test func lifecycleWithClientCredentialsFetchesOneToken() async throws {
        let api = FakeGenericAPI(token: "unused-static")
        try await withFake(api) { _, baseURL, client in
            let authentication = Authentication.clientCredentials(
                .init(
                    tokenURL: baseURL + "/oauth/token",
                    clientID: "ingestor",
                    clientSecret: Secret("client-secret"),
                    multipart: false
                )
            )
            let target = GenericHTTPTarget(
                configuration: genericConfiguration(baseURL, authentication: authentication),
                client: client,
                logger: testLogger
            )
            try await runLifecycle(target)
            #expect(api.tokensIssued == 1)
            api.expireTokens()
            try await runLifecycle(target, key: "k2")
            #expect(api.tokensIssued == 2)
        }
    }

    @Test func aCreateAnswerWithoutTheIdIsAnInvalidResponse() {
        let outcome = GenericHTTPResponseClassifier.classify(
            HTTPResponse(status: 201, body: Array(#"{"data":{}}"#.utf8)),
            action: .create,
            pointer: JSONPointer("/data/id"),
            classifier: HTTPStatusClassifier(redactor: Redactor())
        )
        #expect(outcome.failure?.code == .invalidResponse)
    }
}

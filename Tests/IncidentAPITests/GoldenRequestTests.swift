import Foundation
import IncidentAPI
import Normalizer
import Testing

/// Every adapter's request for every operation, compared byte for byte with a reviewed file in `Goldens/`.
///
/// After an intended change: `INGESTOR_UPDATE_GOLDENS=1 swift test --filter GoldenRequestTests` rewrites the files
/// (and fails, so the run is never mistaken for a pass); review the diff and commit it.
@Suite("Golden requests")
struct GoldenRequestTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")
    static let update = ProcessInfo.processInfo.environment["INGESTOR_UPDATE_GOLDENS"] == "1"

    static var resolvedEvent: NormalizedEvent {
        var event = sampleEvent
        event.status = .resolved
        event.resolvedAt = Timestamp(rfc3339: "2024-05-01T12:30:00Z")
        return event
    }

    static var replyEvent: NormalizedEvent {
        var event = sampleEvent
        event.description = "Looking into it."
        event.isReply = true
        return event
    }

    static func command(_ action: IncidentCommand.Action, _ event: NormalizedEvent = sampleEvent) -> IncidentCommand {
        IncidentCommand(
            action: action,
            dedupKey: "am:0123456789abcdef",
            externalID: action == .create ? nil : "INC-ID-7",
            event: event,
            reason: "golden"
        )
    }

    /// A request as text: method and URL, headers, then the body as sorted, indented JSON.
    static func render(_ request: HTTPRequest) -> String {
        var text = "\(request.method) \(request.url)\n"
        for header in request.headers { text += "\(header.name): \(header.value)\n" }
        if let body = request.body {
            let rendered = (try? JSONParser().parse(body)).map { JSONWriter.pretty($0, sortedKeys: true) }
            text += "\n" + (rendered ?? String(decoding: body, as: UTF8.self)) + "\n"
        }
        return text
    }

    static func check(
        _ name: String,
        _ requests: [HTTPRequest],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let actual = requests.map(render).joined(separator: "\n----\n")
        let file = directory.appendingPathComponent(name + ".txt")
        if update {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("rewrote \(name).txt; review and commit it", sourceLocation: sourceLocation)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(actual == expected, "\(name) differs from Goldens/\(name).txt", sourceLocation: sourceLocation)
    }

    @Test(arguments: MotadataConfiguration.API.allCases)
    func motadata(_ api: MotadataConfiguration.API) throws {
        var configuration = MotadataConfiguration(
            baseURL: "https://sd.example.com",
            api: api,
            authentication: .none,
            requesterEmail: "noc@example.com"
        )
        configuration.dedupKeyField = api == .request ? "Alert Key" : "41"
        let builder = MotadataRequestBuilder(configuration: configuration)
        let current = JSONObject([
            ("subject", .string("old")),
            ("description", .string("old\n\ningestor-dedup-key: am:0123456789abcdef\n\nReply: on it")),
        ])
        for (action, event) in [
            (IncidentCommand.Action.create, sampleEvent), (.update, sampleEvent), (.resolve, Self.resolvedEvent),
            (.comment, Self.replyEvent), (.reopen, sampleEvent),
        ] {
            let command = Self.command(action, event)
            let requests: [HTTPRequest]
            switch (api, action) {
            case (.incident, .comment):
                requests = [
                    builder.legacyGet("INC-ID-7"),
                    builder.legacyReply("INC-ID-7", current: current, paragraph: IncidentText.reply(event)),
                ]
            case (.incident, .update), (.incident, .reopen):
                requests = [
                    builder.legacyGet("INC-ID-7"), builder.legacyUpdate("INC-ID-7", current: current, command: command),
                ]
            default:
                requests = try builder.requests(for: command)
            }
            try Self.check("motadata-\(api.rawValue)-\(action.rawValue)", requests)
        }
    }

    @Test func devRev() throws {
        var configuration = DevRevConfiguration(token: Secret("golden-token"), resolvedStage: "don:core:stage/resolved")
        configuration.triageStage = "don:core:stage/triage"
        let builder = DevRevRequestBuilder(configuration: configuration)
        for (action, event) in [
            (IncidentCommand.Action.create, sampleEvent), (.update, sampleEvent), (.resolve, Self.resolvedEvent),
            (.comment, Self.replyEvent), (.reopen, sampleEvent),
        ] {
            try Self.check("devrev-\(action.rawValue)", [builder.request(for: Self.command(action, event))])
        }
    }

    @Test func oneTrust() throws {
        var configuration = OneTrustConfiguration(
            baseURL: "https://app.onetrust.com",
            authentication: .none,
            orgGroupID: "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
            resolvedStage: "Closed"
        )
        configuration.severityAttribute = "Severity"
        let builder = OneTrustRequestBuilder(configuration: configuration)
        let details = JSONObject([
            ("name", .string("old")),
            ("description", .string("old text\n\ningestor-dedup-key: am:0123456789abcdef\n\nReply: on it")),
            ("incidentTypeName", .string("Unknown")),
            (
                "jurisdictions",
                .array([.object(JSONObject([("countryCode", .string("USA")), ("stateProvinceCode", .string("CA"))]))])
            ),
            ("orgGroupId", .string(configuration.orgGroupID)), ("rootCause", .string("a bad disk")),
            (
                "attributeValues",
                .object(
                    JSONObject([("Ticket Reference", .array([.object(JSONObject([("value", .string("CHG-7"))]))]))])
                )
            ),
        ])
        try Self.check("onetrust-create", [builder.create(Self.command(.create))])
        try Self.check(
            "onetrust-update",
            [
                builder.get("INC-ID-7"),
                builder.put(
                    "INC-ID-7",
                    builder.replacement(from: details, event: sampleEvent, dedupKey: "am:0123456789abcdef")
                ),
            ]
        )
        try Self.check(
            "onetrust-comment",
            [
                builder.put(
                    "INC-ID-7",
                    builder.replacement(from: details, event: nil, dedupKey: "k", appending: "Reply: Looking into it.")
                )
            ]
        )
        try Self.check("onetrust-resolve", [builder.stage("INC-ID-7", to: "Closed")])
        try Self.check("onetrust-lookup", [builder.search("am:0123456789abcdef")])
    }

    @Test func symantec() throws {
        let builder = SymantecRequestBuilder(
            configuration: SymantecConfiguration(
                baseURL: "https://sd.example.com/ServiceDeskApi",
                username: "svc",
                password: Secret("pw"),
                affectedUserEmail: "noc@example.com",
                closeCode: "Monitoring Cleared"
            )
        )
        let current = JSONObject([
            ("sessionId", .string("INC-ID-7")), ("processId", .string("IM-000007")), ("incidentName", .string("old")),
            (
                "incidentDescription",
                .string("old\n\ningestor-dedup-key: am:0123456789abcdef\n\nReply at 2024-05-01T12:10:00.000Z: on it")
            ),
            ("affectedUserEmail", .string("noc@example.com")), ("classification", .string("Hardware.Disk")),
            ("priority", .string("Low")), ("status", .string("Assigned")), ("resolution", .null),
        ])
        try Self.check("symantec-create", [builder.create(Self.command(.create))])
        try Self.check(
            "symantec-update",
            [builder.get("INC-ID-7"), builder.put("INC-ID-7", builder.updated(current, with: Self.command(.update)))]
        )
        try Self.check(
            "symantec-comment",
            [builder.put("INC-ID-7", builder.replying(current, "Reply: Looking into it."))]
        )
        try Self.check("symantec-resolve", [builder.resolve("INC-ID-7", Self.resolvedEvent)])
    }

    @Test func infraon() throws {
        let builder = InfraonRequestBuilder(
            configuration: InfraonConfiguration(
                baseURL: "https://acme.infraon.app",
                authentication: .none,
                requesterEmail: "noc@example.com"
            )
        )
        let answer = try JSONParser().parse(
            Array(
                #"{"incident_id":"INC-ID-7","basic_info":{"summary":"old","description":"old\n\ningestor-dedup-key: am:0123456789abcdef\n\nJo: on it","priority":"Low","priority_id":4,"status":"New","status_id":1},"custom_field_data":{"cmdb":"db-1"}}"#
                    .utf8
            )
        )
        let incident = try #require(InfraonIncident(answer: answer))
        try Self.check("infraon-create", [builder.create(Self.command(.create))])
        try Self.check(
            "infraon-update",
            [
                builder.get("INC-ID-7"),
                builder.put(
                    "INC-ID-7",
                    incident.updated(
                        with: sampleEvent,
                        dedupKey: "am:0123456789abcdef",
                        levels: builder.levels(sampleEvent.severity)
                    )
                ),
            ]
        )
        try Self.check(
            "infraon-resolve",
            [
                builder.inciResolve(Self.command(.resolve, Self.resolvedEvent)),
                builder.note("INC-ID-7", text: IncidentText.resolutionNote(Self.resolvedEvent)),
            ]
        )
        try Self.check(
            "infraon-resolve-fallback",
            [
                builder.get("INC-ID-7"),
                builder.put("INC-ID-7", try incident.settingStatus("Resolved", configuredID: 4, key: "k")),
            ]
        )
        try Self.check("infraon-comment", [builder.note("INC-ID-7", text: "Looking into it.\nLine two.")])
        try Self.check("infraon-list", [builder.list(page: 2)])
    }

    @Test func genericHTTP() throws {
        let builder = GenericHTTPRequestBuilder(
            configuration: genericConfiguration("https://itsm.example.com", authentication: .none)
        )
        for (action, event) in [
            (IncidentCommand.Action.create, sampleEvent), (.update, sampleEvent), (.resolve, Self.resolvedEvent),
            (.comment, Self.replyEvent),
        ] {
            try Self.check("http-\(action.rawValue)", [builder.request(for: Self.command(action, event))])
        }
        try Self.check("http-lookup", [try #require(builder.lookupRequest(dedupKey: "am:0123456789abcdef"))])
    }

    @Test func serviceNow() throws {
        var configuration = ServiceNowConfiguration(baseURL: "https://acme.service-now.com", authentication: .none)
        configuration.callerID = "ingestor"
        configuration.assignmentGroup = "Service Desk"
        let builder = ServiceNowRequestBuilder(configuration: configuration)
        try Self.check("servicenow-create", [builder.create(Self.command(.create))])
        try Self.check("servicenow-update", [builder.update("INC-ID-7", sampleEvent)])
        try Self.check("servicenow-resolve", [builder.resolve("INC-ID-7", Self.resolvedEvent)])
        try Self.check("servicenow-comment", [builder.comment("INC-ID-7", Self.replyEvent)])
        try Self.check("servicenow-lookup", [builder.lookup("am:0123456789abcdef")])
    }

    @Test func pagerDuty() throws {
        let builder = PagerDutyRequestBuilder(configuration: PagerDutyConfiguration(routingKey: Secret("golden-key")))
        var acknowledged = sampleEvent
        acknowledged.status = .acknowledged
        for (name, action, event) in [
            ("create", IncidentCommand.Action.create, sampleEvent), ("update", .update, sampleEvent),
            ("acknowledge", .update, acknowledged), ("resolve", .resolve, Self.resolvedEvent),
        ] {
            try Self.check("pagerduty-\(name)", [builder.request(for: Self.command(action, event))])
        }
        #expect(throws: TargetFailure.self) { try builder.request(for: Self.command(.comment, Self.replyEvent)) }
    }
}

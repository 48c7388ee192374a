import IncidentAPI
import Normalizer
import Testing

let sampleEvent = NormalizedEvent(
    source: "alertmanager",
    dedupKey: "am:0123456789abcdef",
    status: .firing,
    severity: .high,
    title: "DiskFull on db-1",
    description: "Disk /var is 97% full",
    labels: ["alertname": "DiskFull", "instance": "db-1"],
    links: [.init(href: "http://prom/graph", text: "source")],
    occurredAt: Timestamp(rfc3339: "2024-05-01T12:00:00Z")
)

let devRevConfig = DevRevConfiguration(token: Secret("s3cr3t-token-value"), resolvedStage: "don:stage/resolved")

@Suite("DevRev request builder")
struct DevRevRequestBuilderTests {
    let builder = DevRevRequestBuilder(configuration: devRevConfig)

    func body(_ request: HTTPRequest) -> String {
        JSONWriter.string(try! JSONParser().parse(request.body!), sortedKeys: true)
    }

    @Test func createCarriesTitleSeverityAndTheDedupKeyAsExternalReference() throws {
        let request = try builder.request(
            for: IncidentCommand(action: .create, dedupKey: "am:0123456789abcdef", event: sampleEvent, reason: "new")
        )
        #expect(request.method == "POST")
        #expect(request.url == "https://api.devrev.ai/incidents.create")
        #expect(request.header("Authorization") == nil, "the executor adds the credentials")
        #expect(
            devRevConfig.authentication == .header(name: "Authorization", value: Secret("Bearer s3cr3t-token-value"))
        )
        #expect(request.header("Content-Type") == "application/json")
        #expect(
            body(request)
                == #"{"body":"Disk /var is 97% full\n\nLabels:\n- alertname: DiskFull\n- instance: db-1\n\nLinks:\n- source: http://prom/graph","identified_date":"2024-05-01T12:00:00.000Z","severity":2,"sync_metadata":{"external_reference":"am:0123456789abcdef","origin_system":"ingestor"},"title":"DiskFull on db-1"}"#
        )
    }

    @Test func updateSendsIdAndChangedFields() throws {
        let request = try builder.request(
            for: IncidentCommand(
                action: .update,
                dedupKey: "k",
                externalID: "don:inc/1",
                event: sampleEvent,
                reason: "severity"
            )
        )
        #expect(request.url == "https://api.devrev.ai/incidents.update")
        let parsed = try JSONParser().parse(request.body!)
        #expect(parsed["id"]?.string == "don:inc/1")
        #expect(parsed["severity"]?.int64 == 2)
        #expect(parsed["sync_metadata"] == nil)
    }

    @Test func resolveMovesToTheConfiguredStageWithANote() throws {
        var event = sampleEvent
        event.status = .resolved
        event.resolvedAt = Timestamp(rfc3339: "2024-05-01T13:00:00Z")
        let request = try builder.request(
            for: IncidentCommand(
                action: .resolve,
                dedupKey: "k",
                externalID: "don:inc/1",
                event: event,
                reason: "resolved"
            )
        )
        #expect(
            body(request)
                == #"{"id":"don:inc/1","mitigated_date":"2024-05-01T13:00:00.000Z","stage":{"notes":"Resolved at the source at 2024-05-01T13:00:00.000Z (alertmanager).","stage":"don:stage/resolved"}}"#
        )
    }

    @Test func commentIsAnInternalTimelineComment() throws {
        let request = try builder.request(
            for: IncidentCommand(
                action: .comment,
                dedupKey: "k",
                externalID: "don:inc/1",
                event: sampleEvent,
                reason: "reply"
            )
        )
        #expect(request.url == "https://api.devrev.ai/timeline-entries.create")
        #expect(
            body(request)
                == #"{"body":"Disk /var is 97% full","body_type":"text","external_ref":"ingestor:2de8a9eb60d2e094","object":"don:inc/1","type":"timeline_comment","visibility":"internal"}"#
        )
    }

    @Test func updateWithoutAnIdIsRefused() {
        #expect(throws: TargetFailure.self) {
            try builder.request(for: IncidentCommand(action: .update, dedupKey: "k", event: sampleEvent, reason: "x"))
        }
    }

    @Test func lookupFiltersByExternalReferenceAndEncodesIt() {
        let request = builder.lookupRequest(dedupKey: "am:ab cd/ef")
        #expect(request.method == "GET")
        #expect(
            request.url
                == "https://api.devrev.ai/incidents.list?limit=25&sync_metadata.external_reference=am%3Aab%20cd%2Fef"
        )
    }

    @Test func severityIdsComeFromConfiguration() throws {
        var configuration = devRevConfig
        configuration.severityIDs[.high] = 7
        let request = try DevRevRequestBuilder(configuration: configuration)
            .request(for: IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent, reason: "new"))
        #expect(try JSONParser().parse(request.body!)["severity"]?.int64 == 7)
    }
}

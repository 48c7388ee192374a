import IncidentAPI
import Normalizer
import Testing

/// The Infraon request builder and the reading of its answers, without a server.
@Suite("Infraon Infinity adapter")
struct InfraonTests {
    static func configuration(_ baseURL: String, authentication: Authentication? = nil) -> InfraonConfiguration {
        InfraonConfiguration(
            baseURL: baseURL,
            authentication: authentication ?? .header(name: "Authorization", value: Secret("inf-key-123")),
            requesterEmail: "noc@example.com"
        )
    }

    static func json(_ text: String) throws -> JSONValue { try JSONParser().parse(Array(text.utf8)) }

    /// Seed 004, "This endpoint is used to save a new incident": `"urgency_id": 3, "urgency": "Low", "priority_id": 5,
    /// "priority": "Very Low", "impact": "Department", "impact_id": 3, … "incident_type": {"id": 1, "name":
    /// "Incident", "prefix": "inci"}`.
    @Test func createSendsTheGuidesFlatLevelsAndTheMarker() throws {
        let request = InfraonRequestBuilder(configuration: Self.configuration("https://acme.infraon.app")).create(
            IncidentCommand(action: .create, dedupKey: "am:1", event: sampleEvent, reason: "new")
        )
        #expect(request.method == "POST")
        #expect(request.url == "https://acme.infraon.app/ux/sd/inci/incident/")
        #expect(request.header("Content-Type") == "application/json")
        let body = try #require(try JSONParser().parse(request.body ?? []).object)
        #expect(body["summary"]?.string == "DiskFull on db-1")
        #expect(body["priority"]?.string == "High" && body["priority_id"]?.int64 == 2)
        #expect(body["urgency"]?.string == "High" && body["urgency_id"]?.int64 == 1)
        #expect(body["impact"]?.string == "Department" && body["impact_id"]?.int64 == 3)
        #expect(body["incident_type"]?["prefix"]?.string == "inci")
        #expect(body["description"]?.string?.hasSuffix("\n\ningestor-dedup-key: am:1") == true)
        #expect(body["tag"] == nil && body["reference"] == nil, "fields whose shape the guide leaves open are not sent")
    }

    @Test func theIdIsReadFromTheAnswerWhenThereIsOne() throws {
        #expect(InfraonResponseClassifier.createdID(in: try Self.json(#"{"data":{"id":"abc"}}"#)) == "abc")
        #expect(InfraonResponseClassifier.createdID(in: try Self.json(#"{"id":42}"#)) == "42")
        #expect(InfraonResponseClassifier.createdID(in: try Self.json(#"{"status":"success"}"#)) == nil)
        #expect(InfraonResponseClassifier.createdID(in: nil) == nil, "the guide's create answers no body")
    }

    @Test func aFlatIncidentKeepsItsFormAndWhatPeopleWrote() throws {
        let answer = try Self.json(
            #"{"incident_id":"i1","basic_info":{"summary":"old","description":"old body\n\ningestor-dedup-key: k\n\nJo: rebooted","priority":"Low","priority_id":4,"status":"New","status_id":1},"custom_field_data":{"cmdb":"db-1"}}"#
        )
        let incident = try #require(InfraonIncident(answer: answer))
        #expect(!incident.isWrapped)
        var event = sampleEvent
        event.severity = .critical
        let levels = InfraonRequestBuilder(configuration: Self.configuration("https://x")).levels(.critical)
        let document = incident.updated(with: event, dedupKey: "k", levels: levels)
        #expect(document["custom_field_data"]?["cmdb"]?.string == "db-1", "what ingestor does not own is kept")
        #expect(document["basic_info"]?["priority"]?.string == "Critical")
        #expect(document["basic_info"]?["priority_id"]?.int64 == 1)
        #expect(document["basic_info"]?["status"]?.string == "New")
        #expect(document["comment"] == nil, "the guide's document has no comment field")
        let description = try #require(document["basic_info"]?["description"]?.string)
        #expect(description.hasPrefix("Disk /var is 97% full"))
        #expect(description.hasSuffix("ingestor-dedup-key: k\n\nJo: rebooted"), "a person's line survives")
    }

    @Test func aWrappedIncidentTakesOptionsAndAPriorityChangeComment() throws {
        let answer = try Self.json(
            #"{"incident":{"incident_id":"i1","basic_info":{"summary":"old","priority":{"id":4,"name":"Low"},"status":{"id":1,"name":"New"}}},"options":{"status":[{"id":4,"name":"Resolved"}]}}"#
        )
        let incident = try #require(InfraonIncident(answer: answer))
        #expect(incident.isWrapped)
        let levels = InfraonRequestBuilder(configuration: Self.configuration("https://x")).levels(.high)
        let document = incident.updated(with: sampleEvent, dedupKey: "k", levels: levels)
        #expect(document["basic_info"]?["priority"]?["name"]?.string == "High")
        #expect(document["basic_info"]?["priority_id"] == nil)
        #expect(document["comment"]?["type"]?.string == "Priority Change")
        let resolved = try incident.settingStatus("Resolved", configuredID: nil, key: "k")
        #expect(resolved["basic_info"]?["status"]?["id"]?.int64 == 4)
        #expect(throws: TargetFailure.self) { try incident.settingStatus("Closed", configuredID: nil, key: "k") }
    }

    @Test func aFlatIncidentsStatusNeedsTheConfiguredId() throws {
        let incident = try #require(
            InfraonIncident(answer: try Self.json(#"{"incident_id":"i1","basic_info":{"status":"New","status_id":1}}"#))
        )
        do {
            _ = try incident.settingStatus("Resolved", configuredID: nil, key: "target.infraon.resolved_status_id")
            Issue.record("a flat incident's status was set without an id")
        } catch {
            #expect(error.message.contains("target.infraon.resolved_status_id"))
        }
        let resolved = try incident.settingStatus("Resolved", configuredID: 4, key: "k")
        #expect(resolved["basic_info"]?["status"]?.string == "Resolved")
        #expect(resolved["basic_info"]?["status_id"]?.int64 == 4)
    }

    @Test func listPagesAreBareArraysOrResultsAndTheMarkerMatchesWholeLines() throws {
        let bare = try InfraonResponseClassifier.listPage(try Self.json(#"[{"incident_id":"a"}]"#))
        #expect(bare.items.count == 1 && !bare.more)
        let envelope = try InfraonResponseClassifier.listPage(
            try Self.json(#"{"count":60,"next":"/ux/sd/inci/incident/?page=2","results":[{"incident_id":"a"}]}"#)
        )
        #expect(envelope.items.count == 1 && envelope.more)
        #expect(throws: TargetFailureOutcome.self) { try InfraonResponseClassifier.listPage(try Self.json("{}")) }
        let item = try Self.json(
            #"{"incident_id":"a","creation_time":"t1","basic_info":{"description":"x\n\ningestor-dedup-key: am:12","status":"Resolved"}}"#
        )
        #expect(InfraonResponseClassifier.match(item, dedupKey: "am:12")?.id == "a")
        #expect(InfraonResponseClassifier.match(item, dedupKey: "am:1") == nil, "a prefix of the key is not the key")
        #expect(InfraonResponseClassifier.status(of: item, closedStatuses: ["Resolved"]) == .closed)
        #expect(InfraonResponseClassifier.status(of: item, closedStatuses: ["Closed"]) == .open)
        let statusless = try Self.json(#"{"incident_id":"b","summary":"x"}"#)
        #expect(InfraonResponseClassifier.status(of: statusless, closedStatuses: ["Resolved"]) == .unknown)
    }
}

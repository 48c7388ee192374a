import Testing

@testable import Normalizer

@Suite("Alertmanager webhook v4")
struct AlertmanagerDecoderTests {
    let normalizer = Normalizer()

    func events(_ fixtureName: String, format: SourceFormat = .alertmanager) throws -> [NormalizedEvent] {
        try normalizer.normalize(
            NormalizerInput(payload: try fixture("alertmanager/\(fixtureName)"), origin: "alerts.raw"),
            format: format
        )
    }

    @Test func everyAlertInAGroupBecomesOneEventWithItsOwnStatus() throws {
        let events = try events("group-mixed.json")
        #expect(events.count == 2)
        #expect(events.map(\.status) == [.firing, .resolved])
        #expect(events.map(\.dedupKey) == ["am:8b3a0e2c7f1d4a55", "am:0c1d2e3f40516273"])
        #expect(events.allSatisfy { $0.source == "alertmanager" && $0.severity == .critical })
    }

    @Test func firingAlertMapsTitleDescriptionLinksAndTimes() throws {
        let event = try events("group-mixed.json")[0]
        #expect(
            event.title == "ProbeFailure: Probe failed for https://api.example.com",
            "the alert's name and its summary"
        )
        #expect(event.description == "HTTP probe returned 503\nfor 5 minutes")
        #expect(event.occurredAt?.rfc3339 == "2026-11-24T07:52:26.739Z")
        #expect(event.resolvedAt == nil, "Go's zero endsAt means unset")
        #expect(event.links.map(\.text) == ["source", "alertmanager", "runbook"])
        #expect(event.links[1].href == "http://alertmanager.example.com:9093")
        #expect(event.labels["instance"] == "https://api.example.com")
        #expect(event.labels["alertmanager_receiver"] == "team-ops")
        #expect(event.labels["alertmanager_group_key"]?.hasPrefix("{}/") == true)
    }

    @Test func resolvedAlertCarriesItsEndTime() throws {
        let event = try events("group-mixed.json")[1]
        #expect(event.resolvedAt?.rfc3339 == "2026-11-24T08:05:30.500Z")
        #expect(event.description == "", "no description annotation")
    }

    @Test func autoDetectsTheShape() throws {
        #expect(try events("group-mixed.json", format: .auto).count == 2)
    }

    @Test func computesPrometheusFingerprintWhenTheSenderOmitsIt() throws {
        // prometheus/common model: labelSetToFingerprint({name: "garland, briggs", fear: "love is not enough"}) =
        // 5799056148416392346
        let events = try events("old-sender-no-fingerprint.json")
        #expect(events[0].dedupKey == "am:507a62d79ee76c9a")
        #expect(AlertmanagerDecoder.fingerprint(of: []) == "cbf29ce484222325")
        #expect(
            AlertmanagerDecoder.fingerprint(of: [("a", "b"), ("c", "d")])
                == AlertmanagerDecoder.fingerprint(of: [("c", "d"), ("a", "b")])
        )
    }

    @Test func titleFallsBackToAlertnameWithScope() throws {
        let payload =
            #"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighCPU","instance":"web-1","job":"node"},"fingerprint":"f"}]}"#
        let event = try normalizer.normalize(NormalizerInput(payload: Array(payload.utf8)))[0]
        #expect(event.title == "HighCPU on web-1 / node")
        #expect(event.severity == .medium, "no severity label: the default")
        #expect(event.occurredAt == nil)
    }

    @Test(arguments: [
        ("critical", Severity.critical), ("CRIT", .critical), ("page", .critical), ("P1", .critical), ("major", .high),
        ("error", .high),
        ("warning", .medium), (" warn ", .medium), ("minor", .low), ("p4", .low), ("info", .info), ("none", .info),
    ])
    func severityVocabulary(word: String, expected: Severity) throws {
        let payload =
            #"{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"severity":"\#(word)"},"fingerprint":"f"}]}"#
        let event = try normalizer.normalize(NormalizerInput(payload: Array(payload.utf8)))[0]
        #expect(event.severity == expected)
        #expect(event.labels["source_severity"] == nil)
    }

    @Test func unknownSeverityBecomesTheDefaultAndKeepsTheRawWord() throws {
        let payload =
            #"{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"severity":"spicy"},"fingerprint":"f"}]}"#
        let custom = Normalizer(options: DecodeOptions(defaultSeverity: .high))
        let event = try custom.normalize(NormalizerInput(payload: Array(payload.utf8)))[0]
        #expect(event.severity == .high)
        #expect(event.labels["source_severity"] == "spicy")
    }

    @Test(arguments: [
        #"{"version":"4","groupKey":"g","alerts":[{"status":"firing"}]}"#,
        #"{"version":"4","groupKey":"g","alerts":[{"status":"pending","labels":{}}]}"#,
        #"{"version":"4","groupKey":"g","alerts":[42]}"#,
    ])
    func malformedAlertsAreInvalidPayload(payload: String) {
        do {
            _ = try normalizer.normalize(NormalizerInput(payload: Array(payload.utf8)))
            Issue.record("expected a rejection")
        } catch {
            #expect(error.code == .invalidPayload)
        }
    }

    @Test(
        arguments: [
            ("DiskFull", "Disk full on db-1", "Disk full on db-1"),
            ("ProbeFailure", "Probe failed for https://x", "ProbeFailure: Probe failed for https://x"),
            ("HighLoad", "Load above 8\nsince 10:00", "HighLoad: Load above 8"),
            ("HighLoad", nil, "HighLoad on db-1:9100"),
        ] as [(String, String?, String)]
    )
    func titlesAreTheAlertsNameWithItsSummary(_ name: String, _ summary: String?, _ expected: String) {
        let title = PrometheusStyleAlerts.title(alertname: name, summary: summary, labels: ["instance": "db-1:9100"])
        #expect(title == expected)
    }

    @Test func emptyGroupGivesNoEvents() throws {
        let payload = #"{"version":"4","groupKey":"g","alerts":[]}"#
        #expect(try normalizer.normalize(NormalizerInput(payload: Array(payload.utf8))).isEmpty)
    }

    @Test func eventRendersAsDocumentedJSON() throws {
        let json = JSONWriter.string(try events("group-mixed.json")[1].jsonValue, sortedKeys: true)
        #expect(json.contains(#""dedupKey":"am:0c1d2e3f40516273""#))
        #expect(json.contains(#""occurredAt":"2026-11-24T07:40:00.000Z""#))
        #expect(json.contains(#""resolvedAt":"2026-11-24T08:05:30.500Z""#))
        #expect(json.contains(#""status":"resolved""#))
    }
}

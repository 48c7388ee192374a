import Testing

@testable import Normalizer

/// The generic decoder's field paths: the long tail of senders nobody wrote a decoder for, taken in by
/// configuration alone.
@Suite("Generic mapping")
struct GenericMappingTests {
    static func normalize(_ text: String, _ configure: (inout GenericMapping) -> Void) throws -> [NormalizedEvent] {
        var options = DecodeOptions()
        configure(&options.generic)
        return try Normalizer().normalize(
            NormalizerInput(payload: Array(text.utf8)),
            route: SourceRoute(format: .generic, options: options)
        )
    }

    @Test func aListOfAlertsBecomesOneEventEachWithTheEnvelopeAsFallback() throws {
        let body = #"""
            {"source":"watchtower","checks":[
              {"name":"disk","host":"db-1","result":"FAIL"},
              {"name":"ping","host":"db-2","result":"PASS"}]}
            """#
        let events = try Self.normalize(body) {
            $0.events = ["checks"]
            $0.title = ["name"]
            $0.status = ["result"]
            $0.statusValues = ["fail": .firing, "pass": .resolved]
            $0.dedupFields = ["host", "name"]
        }
        #expect(events.map(\.status) == [.firing, .resolved])
        #expect(events.map(\.dedupKey) == ["generic:db-1/disk", "generic:db-2/ping"])
        #expect(events.allSatisfy { $0.labels["generic_source"] == "watchtower" }, "found in the envelope")
    }

    @Test func aTopLevelArrayIsAListOfAlerts() throws {
        let events = try Self.normalize(#"[{"title":"a","id":"1"},{"title":"b","id":"2"}]"#) { _ in }
        #expect(events.map(\.title) == ["a", "b"])
        #expect(events.map(\.dedupKey) == ["generic:1", "generic:2"])
    }

    @Test func aTitleTemplateBuildsTheTitleFromFields() throws {
        let body = #"{"check":"HTTP","target":{"host":"web-1"},"status":"open"}"#
        let event = try Self.normalize(body) { $0.titleTemplate = "{check} on {target.host}" }[0]
        #expect(event.title == "HTTP on web-1")
        let fallback = try Self.normalize(#"{"title":"plain","x":1}"#) { $0.titleTemplate = "{missing}" }[0]
        #expect(fallback.title == "plain", "a template with no value falls back to the title paths")
        #expect(GenericDecoder.render("{a} / {b}", with: { $0 == ["a"] ? "x" : nil }) == "x /")
    }

    @Test func dedupFieldsWinOverTheDedupKeyPaths() throws {
        let body = #"{"title":"t","id":"event-1","host":"db-1"}"#
        #expect(try Self.normalize(body) { $0.dedupFields = ["host"] }[0].dedupKey == "generic:db-1")
        #expect(try Self.normalize(body) { $0.dedupFields = ["nothing"] }[0].dedupKey == "generic:event-1")
    }

    @Test func booleanAndNumericStatusesAndSeveritiesMapThroughTheValueMaps() throws {
        let body = #"{"title":"t","up":false,"level":5}"#
        let event = try Self.normalize(body) {
            $0.status = ["up"]
            $0.statusValues = ["false": .firing, "true": .resolved]
            $0.severity = ["level"]
            $0.severityValues = ["5": .critical]
        }[0]
        #expect(event.status == .firing)
        #expect(event.severity == .critical)
    }
}

import Testing

@testable import Normalizer

/// `readsTransport == false` promises that another record with the same bytes normalizes to the same events (the
/// worker then reuses them for byte-identical repeats). Checked on every fixture and on mutated fixtures, in every
/// format: each is normalized as two records differing in everything but the bytes.
@Suite("Transport reads")
struct TransportReadsTests {
    static let first = NormalizerInput(
        payload: [],
        origin: "raw",
        receivedAt: Timestamp(rfc3339: "2026-11-24T12:00:00Z"),
        recordID: "raw/0@1"
    )
    static let second = NormalizerInput(
        payload: [],
        headers: [
            .init(name: "Sentry-Hook-Resource", value: Array("event_alert".utf8)),
            .init(name: "x-other", value: Array("1".utf8)),
        ],
        origin: "raw",
        receivedAt: Timestamp(rfc3339: "2026-11-30T09:30:00Z"),
        recordID: "raw/7@99"
    )

    /// Normalizes `bytes` as both records; returns whether the first claimed independence, after checking the claim.
    static func check(_ bytes: [UInt8], _ format: SourceFormat, name: String) -> Bool? {
        let normalizer = NormalizerFuzzTests.normalizer
        let route = SourceRoute(format: format)
        var one = first
        one.payload = bytes
        var two = second
        two.payload = bytes
        guard let a = try? normalizer.normalization(of: one, route: route) else { return nil }
        guard !a.readsTransport else { return true }
        let b = try? normalizer.normalization(of: two, route: route)
        #expect(b?.events == a.events, "\(name) as \(format): same bytes, other record, other events")
        #expect(b?.readsTransport == false, "\(name) as \(format)")
        return false
    }

    @Test func fixturesThatClaimIndependenceNormalizeAlikeAsAnyRecord() throws {
        var claims: [String: Bool] = [:]
        for (name, bytes) in try NormalizerFuzzTests.allFixtures() {
            for format in NormalizerFuzzTests.normalizer.knownFormats {
                if let reads = Self.check(bytes, format, name: name), format == .auto || format == .email {
                    claims[name] = reads
                }
            }
        }
        // Both answers occur, so the check above is not vacuous.
        #expect(claims["group-mixed.json"] == false, "Alertmanager alerts carry their own times")
        #expect(claims["legacy-alerting.json"] == true, "legacy Grafana alerts take the record's time")
        #expect(claims["nagios-service-problem.eml"] == false, "the mail's Date header is its time")
        #expect(claims.values.contains(true) && claims.values.contains(false))
    }

    @Test func mutatedFixturesThatClaimIndependenceNormalizeAlikeAsAnyRecord() throws {
        var random = NormalizerFuzzTests.Generator(seed: 0x7EAD5)
        var independent = 0
        for (name, seed) in try NormalizerFuzzTests.allFixtures() {
            for round in 0..<20 {
                let bytes = NormalizerFuzzTests.mutate(seed, &random)
                let format: SourceFormat = round.isMultiple(of: 2) ? .auto : (name.hasSuffix(".eml") ? .email : .auto)
                if Self.check(bytes, format, name: "\(name) mutation \(round)") == false { independent += 1 }
            }
        }
        #expect(independent > 0)
    }

    @Test func pagerDutyTriggerWithoutDedupKeyDependsOnTheRecord() throws {
        let trigger = Array(
            #"{"routing_key":"r","event_action":"trigger","payload":{"summary":"disk full","source":"db-1","severity":"critical","timestamp":"2026-11-24T08:00:00Z"}}"#
                .utf8
        )
        #expect(Self.check(trigger, .auto, name: "trigger") == true)
        let keyed = Array(
            #"{"routing_key":"r","event_action":"trigger","dedup_key":"disk/db-1","payload":{"summary":"disk full","source":"db-1","severity":"critical","timestamp":"2026-11-24T08:00:00Z"}}"#
                .utf8
        )
        #expect(Self.check(keyed, .auto, name: "keyed trigger") == false)
    }
}

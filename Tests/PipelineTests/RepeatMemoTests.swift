import Normalizer
import PipelineTestSupport
import Testing

@testable import Pipeline

/// An Alertmanager group whose alerts carry their own times (`startsAt`, `endsAt`), so its normalization depends on
/// the bytes alone.
func timedAlertmanagerPayload(_ keys: [String], status: String, endsAt: String = "0001-01-01T00:00:00Z") -> [UInt8] {
    let items = keys.map {
        #"{"status":"\#(status)","labels":{"alertname":"A","severity":"warning"},"annotations":{"summary":"s"},"startsAt":"2026-11-24T08:00:00Z","endsAt":"\#(endsAt)","fingerprint":"\#($0)"}"#
    }
    return Array(#"{"version":"4","groupKey":"g","alerts":[\#(items.joined(separator: ","))]}"#.utf8)
}

@Suite("Repeat memo")
struct RepeatMemoTests {
    static func normalization(_ bytes: [UInt8]) throws -> Normalizer.Normalization {
        try Normalizer().normalization(
            of: NormalizerInput(payload: bytes, receivedAt: Timestamp(rfc3339: "2026-11-24T12:00:00Z")),
            route: SourceRoute(format: .alertmanager)
        )
    }

    @Test func remembersByTopicFormatAndBytes() throws {
        let memo = RepeatMemo(budgetBytes: 1 << 20)
        let bytes = timedAlertmanagerPayload(["a", "b"], status: "firing")
        let normalization = try Self.normalization(bytes)
        #expect(!normalization.readsTransport)
        let key = RepeatMemo.Key(topic: "raw", format: nil, payload: bytes)
        #expect(memo.events(for: key) == nil)
        memo.remember(key, normalization)
        // The first sighting only leaves the digest: a payload seen once is not worth its memory.
        #expect(memo.events(for: key) == nil)
        memo.remember(key, normalization)
        #expect(memo.events(for: RepeatMemo.Key(topic: "raw", format: nil, payload: bytes)) == normalization.events)
        // Another topic (another route), another format header, one byte more: not the same.
        #expect(memo.events(for: RepeatMemo.Key(topic: "other", format: nil, payload: bytes)) == nil)
        #expect(memo.events(for: RepeatMemo.Key(topic: "raw", format: "grafana", payload: bytes)) == nil)
        #expect(memo.events(for: RepeatMemo.Key(topic: "raw", format: nil, payload: bytes + [0x20])) == nil)
        var flipped = bytes
        flipped[flipped.count / 2] ^= 1
        #expect(memo.events(for: RepeatMemo.Key(topic: "raw", format: nil, payload: flipped)) == nil)
    }

    @Test func neverKeepsWhatReadTheRecord() throws {
        let memo = RepeatMemo(budgetBytes: 1 << 20)
        // No startsAt: the alert takes the record's timestamp.
        let bytes = alertmanagerPayload([("a", "firing", "x")])
        let normalization = try Self.normalization(bytes)
        #expect(normalization.readsTransport)
        let key = RepeatMemo.Key(topic: "raw", format: nil, payload: bytes)
        memo.remember(key, normalization)
        memo.remember(key, normalization)
        #expect(memo.events(for: key) == nil)
    }

    @Test func staysWithinItsBudgetAndKeepsWhatIsUsed() throws {
        let budget = 64 * 1024
        let memo = RepeatMemo(budgetBytes: budget)
        let hot = timedAlertmanagerPayload(["hot"], status: "firing")
        let hotKey = RepeatMemo.Key(topic: "raw", format: nil, payload: hot)
        for _ in 0..<2 { memo.remember(hotKey, try Self.normalization(hot)) }
        var kept = 0
        for index in 0..<500 {
            let bytes = timedAlertmanagerPayload(["k\(index)"], status: "firing")
            let key = RepeatMemo.Key(topic: "raw", format: nil, payload: bytes)
            let normalization = try Self.normalization(bytes)
            for _ in 0..<2 { memo.remember(key, normalization) }
            // The hot payload is looked up all along, so it survives every rotation.
            #expect(memo.events(for: hotKey) != nil)
        }
        for index in 0..<500 {
            let bytes = timedAlertmanagerPayload(["k\(index)"], status: "firing")
            if memo.events(for: RepeatMemo.Key(topic: "raw", format: nil, payload: bytes)) != nil { kept += 1 }
        }
        // Each entry is estimated at about 1 KiB here: far fewer than 500 fit, the newest do.
        #expect(kept > 10 && kept < 100, "kept \(kept)")
        let newest = timedAlertmanagerPayload(["k499"], status: "firing")
        #expect(memo.events(for: RepeatMemo.Key(topic: "raw", format: nil, payload: newest)) != nil)
    }

    @Test func offKeepsNothing() throws {
        let memo = RepeatMemo(budgetBytes: 0)
        let bytes = timedAlertmanagerPayload(["a"], status: "firing")
        let key = RepeatMemo.Key(topic: "raw", format: nil, payload: bytes)
        for _ in 0..<2 { memo.remember(key, try Self.normalization(bytes)) }
        #expect(!memo.isEnabled)
        #expect(memo.events(for: key) == nil)
    }

    /// The same run with and without the memo: the same calls, and the memo answered every sighting after the second
    /// (the first leaves the digest, the second the events).
    @Test(arguments: [nil, 0] as [Int?])
    func repeatsChangeNothingButTheWorkDone(memoBytes: Int?) async throws {
        let firing = timedAlertmanagerPayload(["a", "b"], status: "firing")
        let resolved = timedAlertmanagerPayload(["a", "b"], status: "resolved", endsAt: "2026-11-24T09:00:00Z")
        var events: [SourceEvent] = []
        for offset in 0..<20 { events.append(message(Int32(offset % 2), Int64(offset / 2), firing)) }
        events.append(message(0, 10, resolved))
        // Late copies of the firing group: older than the resolve, so stale, whoever decoded them.
        for offset in 11..<16 { events.append(message(0, Int64(offset), firing)) }
        let harness = RunnerHarness(events, repeatMemoBytes: memoBytes)
        try await harness.run(untilFinished: events.count)
        let perKey = Dictionary(grouping: harness.target.calls, by: \.dedupKey).mapValues { $0.map(\.action) }
        #expect(perKey == ["am:a": [.create, .resolve], "am:b": [.create, .resolve]])
        let stats = harness.instruments.snapshot
        #expect(stats.repeatedPayloads == (memoBytes == 0 ? 0 : 23))
        #expect(stats.stale == 10)
        #expect(harness.sink.letters.isEmpty)
    }

    @Test func payloadsThatTakeTheRecordsTimeAreDecodedEveryTime() async throws {
        let bytes = alertmanagerPayload([("a", "firing", "x")])
        let events = (0..<10).map { message(0, Int64($0), bytes) }
        let harness = RunnerHarness(events)
        try await harness.run(untilFinished: events.count)
        #expect(harness.instruments.snapshot.repeatedPayloads == 0)
        #expect(harness.target.calls.map(\.action) == [.create])
    }
}

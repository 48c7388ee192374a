import Logging
import Normalizer
import PipelineTestSupport
import Synchronization
import Testing

@testable import Pipeline

/// An event sink that keeps records in hand-over order, acknowledges them when told (or at once), and can refuse
/// records by key.
final class RecordingEventSink: EventSink {
    private struct State {
        var records: [EventRecord] = []
        var held: [CheckedContinuation<Void, any Error>] = []
        var holding = false
    }

    private let state = Mutex(State())
    private let refuse: @Sendable (EventRecord) -> Bool

    init(refuse: @escaping @Sendable (EventRecord) -> Bool = { _ in false }) {
        self.refuse = refuse
    }

    var destination: String { "events" }

    struct Refused: Error {}

    func send(_ record: EventRecord) async throws -> SinkReceipt {
        if refuse(record) { throw Refused() }
        let holding = state.withLock { state in
            state.records.append(record)
            return state.holding
        }
        guard holding else { return SinkReceipt {} }
        return SinkReceipt {
            try await withCheckedThrowingContinuation { continuation in
                let now = self.state.withLock { state -> Bool in
                    guard state.holding else { return true }
                    state.held.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    /// Holds acknowledgements back until ``release()``.
    func hold() { state.withLock { $0.holding = true } }

    /// Acknowledges every held record.
    func release() {
        let held = state.withLock { state in
            state.holding = false
            defer { state.held.removeAll() }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    var records: [EventRecord] { state.withLock { $0.records } }
    var waiting: Int { state.withLock { $0.held.count } }
}

@Suite("Normalize stage")
struct NormalizeStageTests {
    static func stage(
        _ events: [SourceEvent],
        sink: RecordingEventSink,
        letters: RecordingDeadLetterSink = RecordingDeadLetterSink(),
        groupings: [String: Grouping] = [:],
        skipRepeatsFor: Duration = .zero
    ) -> (NormalizeStage<InMemoryMessageSource>, InMemoryMessageSource, PipelineInstruments) {
        let source = InMemoryMessageSource(events)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let instruments = PipelineInstruments(factory: NoopTestMetrics.factory, logger: logger)
        var configuration = PipelineConfiguration(workerVersion: "test")
        configuration.groupings = groupings
        configuration.drainTimeout = .seconds(5)
        let stage = NormalizeStage(
            source: source,
            normalizer: Normalizer(),
            events: sink,
            deadLetters: letters,
            configuration: configuration,
            skipRepeatsFor: skipRepeatsFor,
            instruments: instruments,
            clock: ManualClock(),
            logger: logger
        )
        return (stage, source, instruments)
    }

    static func run(_ stage: NormalizeStage<InMemoryMessageSource>, until condition: () -> Bool) async throws {
        let task = Task { try await stage.run() }
        try await waitUntil(condition)
        stage.stop()
        try await task.value
    }

    @Test func eventsAreKeyedByDedupKeyInRawOrderWithTheirOriginAndRejectionsBecomeLetters() async throws {
        let sink = RecordingEventSink()
        let letters = RecordingDeadLetterSink()
        var first = SourceMessage(
            position: MessagePosition(partition: PartitionID(topic: "raw", partition: 2), offset: 7),
            key: Array("sender-key".utf8),
            value: alertmanagerPayload([("a1", "firing", "one"), ("a2", "firing", "two")]),
            timestamp: Timestamp(rfc3339: "2026-12-03T10:00:00Z")
        )
        first.headers = [SourceMessage.Header(name: "trace", text: "t")]
        let events: [SourceEvent] = [
            .message(first),
            message(2, 8, Array("{not json".utf8)),
            message(2, 9, alertmanagerPayload([("a1", "resolved", "one")])),
        ]
        let (stage, source, instruments) = Self.stage(events, sink: sink, letters: letters)
        try await Self.run(stage) { source.committable[PartitionID(topic: "raw", partition: 2)] == 10 }

        let records = sink.records
        #expect(records.map(\.key) == ["am:a1", "am:a2", "am:a1"])
        let firstHeaders = Dictionary(
            records[0].headers.map { ($0.name, String(decoding: $0.value ?? [], as: UTF8.self)) },
            uniquingKeysWith: { $1 }
        )
        #expect(firstHeaders[EventRecord.Header.originTopic] == "raw")
        #expect(firstHeaders[EventRecord.Header.originPartition] == "2")
        #expect(firstHeaders[EventRecord.Header.originOffset] == "7")
        #expect(firstHeaders[EventRecord.Header.originTimestamp] == "2026-12-03T10:00:00.000Z")
        #expect(firstHeaders[EventRecord.Header.originKey] == "sender-key")
        #expect(firstHeaders[EventRecord.Header.eventIndex] == "0")
        #expect(firstHeaders[EventRecord.Header.detectedFormat] == "alertmanager")
        #expect(firstHeaders["ingestor-dlq-replay-count"] == nil, "not a replayed letter")
        #expect(records[1].headers.contains { $0.name == EventRecord.Header.eventIndex && $0.value == Array("1".utf8) })
        let value = try JSONParser().parse(records[2].value)
        #expect(value["v"]?.int64 == 1)
        #expect(value["dedupKey"]?.string == "am:a1")
        #expect(value["status"]?.string == "resolved")
        #expect(letters.letters.map(\.reason) == ["invalid_json"])
        #expect(letters.letters.first?.original.position.offset == 8)
        #expect(instruments.snapshot.eventsWritten == 3)
    }

    @Test func groupedSourcesAreKeyedByTheGroupSoOneIncidentsEventsShareAPartition() async throws {
        let sink = RecordingEventSink()
        let payload = Array(
            #"{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","cluster":"c1","instance":"a"},"fingerprint":"f1"},{"status":"firing","labels":{"alertname":"DiskFull","cluster":"c1","instance":"b"},"fingerprint":"f2"}]}"#
                .utf8
        )
        let (stage, source, _) = Self.stage(
            [message(0, 0, payload)],
            sink: sink,
            groupings: ["raw": Grouping(labels: ["alertname", "cluster"])]
        )
        try await Self.run(stage) { source.committable[PartitionID(topic: "raw", partition: 0)] == 1 }
        #expect(sink.records.map(\.key) == ["group:alertmanager:alertname=DiskFull,cluster=c1"].repeated(2))
        // The value keeps the alert's own key: the delivery side groups it again from its configuration.
        let keys = try sink.records.map { try JSONParser().parse($0.value)["dedupKey"]?.string }
        #expect(keys == ["am:f1", "am:f2"])
    }

    @Test func theOffsetMovesOnlyOnceEveryEventIsAcknowledged() async throws {
        let sink = RecordingEventSink()
        sink.hold()
        let (stage, source, _) = Self.stage(
            [message(0, 0, alertmanagerPayload([("k1", "firing", "x"), ("k2", "firing", "y")]))],
            sink: sink
        )
        let task = Task { try await stage.run() }
        try await waitUntil { sink.records.count == 2 && sink.waiting == 1 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(source.stored.isEmpty, "nothing stored before the broker's acknowledgement")
        sink.release()
        try await waitUntil { source.committable[PartitionID(topic: "raw", partition: 0)] == 1 }
        stage.stop()
        try await task.value
    }

    @Test func aTwinOfTheLastEventWrittenForItsKeyIsSkippedWithinTheWindow() async throws {
        let sink = RecordingEventSink()
        let same = alertmanagerPayload([("k", "firing", "x")])
        let (stage, source, instruments) = Self.stage(
            [
                message(0, 0, same), message(0, 1, same), message(0, 2, alertmanagerPayload([("k", "firing", "y")])),
                message(0, 3, same),
            ],
            sink: sink,
            skipRepeatsFor: .seconds(60)
        )
        try await Self.run(stage) { source.committable[PartitionID(topic: "raw", partition: 0)] == 4 }
        // The second is a twin of the first; the fourth is not a twin of the third (the last written for k).
        #expect(sink.records.count == 3)
        #expect(instruments.snapshot.eventsSkipped == 1)
    }

    @Test func anEventTheSinkRefusesSendsItsRawRecordToTheDeadLetterTopic() async throws {
        let sink = RecordingEventSink { $0.key == "am:big" }
        let letters = RecordingDeadLetterSink()
        let (stage, source, _) = Self.stage(
            [
                message(0, 0, alertmanagerPayload([("big", "firing", "x")])),
                message(0, 1, alertmanagerPayload([("ok", "firing", "x")])),
            ],
            sink: sink,
            letters: letters
        )
        try await Self.run(stage) { source.committable[PartitionID(topic: "raw", partition: 0)] == 2 }
        #expect(letters.letters.map(\.reason) == ["event_not_written"])
        #expect(sink.records.map(\.key) == ["am:ok"])
    }

    /// A letter handed back to its raw topic keeps its replay count on its events, so a second failure in the delivery
    /// stage counts (and parks it) as the replay it is.
    @Test func aReplayedLettersCountTravelsOnToItsEvents() async throws {
        let sink = RecordingEventSink()
        let replayed = SourceMessage(
            position: MessagePosition(partition: PartitionID(topic: "raw", partition: 0), offset: 0),
            key: nil,
            value: alertmanagerPayload([("a1", "firing", "one")]),
            headers: [SourceMessage.Header(name: "ingestor-dlq-replay-count", text: "2")]
        )
        let (stage, source, _) = Self.stage([.message(replayed)], sink: sink, letters: RecordingDeadLetterSink())
        try await Self.run(stage) { source.committable[PartitionID(topic: "raw", partition: 0)] == 1 }
        let headers = try #require(sink.records.first?.headers)
        #expect(headers.filter { $0.name == "ingestor-dlq-replay-count" }.map(\.value) == [Array("2".utf8)])
    }
}

extension Array {
    fileprivate func repeated(_ times: Int) -> [Element] { (0..<times).flatMap { _ in self } }
}

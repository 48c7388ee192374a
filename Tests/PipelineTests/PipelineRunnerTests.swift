import IncidentAPI
import Logging
import Normalizer
import PipelineTestSupport
import Synchronization
import Testing

@testable import Pipeline

/// Alertmanager payload with one alert per (key, status, summary).
func alertmanagerPayload(_ alerts: [(key: String, status: String, summary: String)]) -> [UInt8] {
    let items = alerts.map {
        #"{"status":"\#($0.status)","labels":{"alertname":"A"},"annotations":{"summary":"\#($0.summary)"},"fingerprint":"\#($0.key)"}"#
    }
    return Array(#"{"version":"4","groupKey":"g","alerts":[\#(items.joined(separator: ","))]}"#.utf8)
}

func message(_ partition: Int32, _ offset: Int64, _ value: [UInt8]) -> SourceEvent {
    .message(
        SourceMessage(
            position: MessagePosition(partition: PartitionID(topic: "raw", partition: partition), offset: offset),
            key: nil,
            value: value
        )
    )
}

struct RunnerHarness {
    let source: InMemoryMessageSource
    let target: ScriptedTarget
    let sink: RecordingDeadLetterSink
    let runner: PipelineRunner<InMemoryMessageSource>
    let instruments: PipelineInstruments

    init(
        _ events: [SourceEvent],
        target: ScriptedTarget = ScriptedTarget(),
        sink: RecordingDeadLetterSink = RecordingDeadLetterSink(),
        lanes: Int = 4,
        maxInFlight: Int = 100,
        store: any IncidentStateStore = InMemoryIncidentStateStore(),
        policy: RetryPolicy? = nil,
        clock: (any PipelineClock)? = nil,
        minUpdateInterval: Duration = .zero,
        stormGuard: StormGuard.Settings = StormGuard.Settings(),
        groupings: [String: Grouping] = [:],
        repeatMemoBytes: Int? = nil,
        lookupUnknownKeys: Bool = true
    ) {
        source = InMemoryMessageSource(events)
        self.target = target
        self.sink = sink
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        instruments = PipelineInstruments(factory: NoopTestMetrics.factory, logger: logger)
        var configuration = PipelineConfiguration(workerVersion: "test")
        configuration.lanes = lanes
        configuration.maxInFlightEvents = maxInFlight
        configuration.drainTimeout = .seconds(5)
        configuration.minUpdateInterval = minUpdateInterval
        configuration.stormGuard = stormGuard
        configuration.groupings = groupings
        configuration.pauseAfter = .milliseconds(50)
        configuration.lookupUnknownKeys = lookupUnknownKeys
        if let repeatMemoBytes { configuration.repeatMemoBytes = repeatMemoBytes }
        var defaultPolicy = RetryPolicy()
        defaultPolicy.initialBackoff = .milliseconds(1)
        let policy = policy ?? defaultPolicy
        let clock = clock ?? ManualClock()
        runner = PipelineRunner(
            source: source,
            normalizer: Normalizer(),
            correlator: Correlator(store: store, target: target.name),
            deliverer: Deliverer(
                target: target,
                policy: policy,
                clock: clock,
                random: FixedRandom(0.5),
                instruments: instruments
            ),
            deadLetters: sink,
            configuration: configuration,
            instruments: instruments,
            clock: clock,
            logger: logger
        )
    }

    /// Runs until `count` messages finished, then stops the runner gracefully.
    func run(untilFinished count: Int) async throws {
        let runner = runner
        let task = Task { try await runner.run() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while instruments.snapshot.messagesFinished < count && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        runner.stop()
        try await task.value
        if instruments.snapshot.messagesFinished < count { throw WaitTimedOut() }
    }
}

struct WaitTimedOut: Error {}

/// Polls `condition` every 2 ms for up to 20 s.
func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(20)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut() }
        try await Task.sleep(for: .milliseconds(2))
    }
}

@Suite("Pipeline runner")
struct PipelineRunnerTests {
    @Test func commandsForOneKeyKeepTheirOrderWhileKeysRunInParallel() async throws {
        // Each key goes create → update → resolve across three messages; the target answers slowly and unevenly.
        let keys = (0..<40).map { "k\($0)" }
        var events: [SourceEvent] = []
        var offset: Int64 = 0
        for (round, status, summary) in [(0, "firing", "v1"), (1, "firing", "v2"), (2, "resolved", "v2")] {
            _ = round
            for chunk in stride(from: 0, to: keys.count, by: 5) {
                events.append(
                    message(
                        Int32(chunk % 2),
                        offset,
                        alertmanagerPayload(keys[chunk..<chunk + 5].map { ($0, status, summary) })
                    )
                )
                offset += 1
            }
        }
        let target = ScriptedTarget { command, _ in
            try? await Task.sleep(for: .microseconds(Int(command.dedupKey.utf8.reduce(0) { $0 &+ Int($1) } % 7) * 300))
            return nil
        }
        let harness = RunnerHarness(events, target: target, lanes: 8)
        try await harness.run(untilFinished: events.count)
        let perKey = Dictionary(grouping: target.calls, by: \.dedupKey).mapValues { $0.map(\.action) }
        #expect(perKey.count == keys.count)
        for key in keys {
            #expect(perKey["am:\(key)"] == [.create, .update, .resolve], "\(key)")
        }
        #expect(harness.sink.letters.isEmpty)
    }

    @Test func offsetsMoveOnlyPastFinishedMessagesAndDeadLettersComeFirst() async throws {
        let good = alertmanagerPayload([("a", "firing", "x")])
        let events: [SourceEvent] = [
            message(0, 0, good), message(0, 1, Array("garbage".utf8)),
            message(0, 2, alertmanagerPayload([("b", "firing", "x")])),
            message(0, 3, alertmanagerPayload([("a", "firing", "x")])),
        ]
        let sink = RecordingDeadLetterSink(failFirst: 2)
        let harness = RunnerHarness(events, sink: sink)
        try await harness.run(untilFinished: events.count)
        #expect(harness.source.committable[PartitionID(topic: "raw", partition: 0)] == 4)
        #expect(sink.letters.count == 1)
        #expect(sink.letters.first?.original.position.offset == 1)
        #expect(sink.letters.first?.reason == "invalid_json")
        #expect(
            harness.source.stored.map(\.offset) == harness.source.stored.map(\.offset).sorted(),
            "stored offsets never go back"
        )
        let stats = harness.instruments.snapshot
        #expect(stats.created == 2)
        #expect(stats.suppressed == 1)
        #expect(stats.deadLetters == 1)
        #expect(harness.source.isClosed)
        #expect(harness.source.commits >= 1)
    }

    @Test func permanentTargetFailureDeadLettersTheMessageWithDeliveryDetails() async throws {
        let target = ScriptedTarget { command, _ in
            command.dedupKey == "am:bad"
                ? .permanent(
                    TargetFailure(
                        .rejected,
                        "DevRev invalid_field",
                        httpStatus: 400,
                        responseExcerpt: "{\"type\":\"invalid_field\"}"
                    )
                ) : nil
        }
        let events = [message(1, 7, alertmanagerPayload([("good", "firing", "x"), ("bad", "firing", "x")]))]
        let harness = RunnerHarness(events, target: target)
        try await harness.run(untilFinished: 1)
        let letter = try #require(harness.sink.letters.first)
        #expect(letter.stage == .deliver)
        #expect(letter.reason == "target_rejected")
        #expect(letter.httpStatus == 400)
        #expect(letter.target == "scripted")
        #expect(letter.dedupKey == "am:bad")
        #expect(letter.action == .create)
        #expect(letter.attempts == 1)
        #expect(harness.source.committable[PartitionID(topic: "raw", partition: 1)] == 8)
    }

    @Test func aMessageStuckInRetriesHoldsBackTheOffsetsAfterIt() async throws {
        let release = Mutex(false)
        let target = ScriptedTarget { command, _ in
            if command.dedupKey == "am:slow" {
                while !release.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(2)) }
            }
            return nil
        }
        // Keys on other lanes than the stuck one, so only the offset ledger (not lane order) holds them back.
        let lanes = 8
        let slowLane = PipelineRunner<InMemoryMessageSource>.lane(for: "am:slow", count: lanes)
        let others = (0..<100).map { "f\($0)" }.filter {
            PipelineRunner<InMemoryMessageSource>.lane(for: "am:" + $0, count: lanes) != slowLane
        }.prefix(4)
        let events =
            [message(0, 0, alertmanagerPayload([("slow", "firing", "x")]))]
            + others.enumerated().map {
                message(0, Int64($0.offset + 1), alertmanagerPayload([($0.element, "firing", "x")]))
            }
        let harness = RunnerHarness(events, target: target, lanes: lanes)
        let runner = harness.runner
        let task = Task { try await runner.run() }
        try await waitUntil { harness.instruments.snapshot.messagesFinished == 4 }
        #expect(harness.source.stored.isEmpty, "offset 0 is unfinished, so nothing may be committed")
        release.withLock { $0 = true }
        try await waitUntil { harness.instruments.snapshot.messagesFinished == 5 }
        runner.stop()
        try await task.value
        #expect(harness.source.committable[PartitionID(topic: "raw", partition: 0)] == 5)
    }

    @Test func inFlightWorkIsBounded() async throws {
        let peak = Mutex(0)
        let current = Mutex(0)
        let target = ScriptedTarget { _, _ in
            let now = current.withLock {
                $0 += 1
                return $0
            }
            peak.withLock { $0 = max($0, now) }
            try? await Task.sleep(for: .milliseconds(1))
            current.withLock { $0 -= 1 }
            return nil
        }
        let events = (0..<60).map { message(0, Int64($0), alertmanagerPayload([("k\($0)", "firing", "x")])) }
        let harness = RunnerHarness(events, target: target, lanes: 16, maxInFlight: 3)
        try await harness.run(untilFinished: events.count)
        #expect(peak.withLock { $0 } <= 3)
        #expect(harness.instruments.snapshot.created == 60)
    }
}

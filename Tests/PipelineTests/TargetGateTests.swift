import IncidentAPI
import Logging
import Normalizer
import PipelineTestSupport
import Testing

@testable import Pipeline

@Suite("Target rate limit and Retry-After")
struct TargetGateTests {
    @Test func aBurstThenAnEvenRate() async throws {
        let clock = ManualClock()
        let start = clock.now()
        let gate = TargetGate(limits: .init(rate: 10, burst: 3), clock: clock)
        var starts: [Int64] = []
        for _ in 0..<10 {
            try await gate.waitForTurn()
            starts.append(clock.now().millisecondsSinceEpoch - start.millisecondsSinceEpoch)
        }
        #expect(starts == [0, 0, 0, 100, 200, 300, 400, 500, 600, 700])
        // After a quiet second the burst is available again.
        clock.advance(by: .seconds(1))
        let quiet = clock.now()
        for _ in 0..<3 { try await gate.waitForTurn() }
        #expect(clock.now() == quiet)
    }

    @Test func reservationsSpreadConcurrentCallersOverTime() {
        let clock = ManualClock()
        let gate = TargetGate(limits: .init(rate: 50, burst: 1), clock: clock)
        // 100 callers arriving at the same instant get slots 20 ms apart: 99 × 20 ms for the last.
        let waits = (0..<100).map { _ in gate.reserve(now: clock.now()) }
        #expect(waits.first == .zero)
        #expect(waits.last == .milliseconds(1980))
        #expect(Set(waits).count == 100)
    }

    @Test func noLimitMeansNoWait() async throws {
        let clock = ManualClock()
        let gate = TargetGate(limits: .unlimited, clock: clock)
        for _ in 0..<1000 { #expect(try await gate.waitForTurn() == .zero) }
    }

    @Test func retryAfterHoldsTheWholeTarget() async throws {
        let clock = ManualClock()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let instruments = PipelineInstruments(factory: NoopTestMetrics.factory, logger: logger)
        let target = ScriptedTarget { command, attempt in
            command.dedupKey == "a" && attempt == 1
                ? .retryable(TargetFailure(.throttled, "429", httpStatus: 429), retryAfter: .after(.seconds(30)))
                : nil
        }
        var policy = RetryPolicy()
        policy.initialBackoff = .milliseconds(1)
        let deliverer = Deliverer(
            target: target,
            policy: policy,
            clock: clock,
            random: FixedRandom(0.5),
            instruments: instruments
        )
        let start = clock.now()
        let first = await deliverer.deliver(
            IncidentCommand(action: .create, dedupKey: "a", event: sampleEvent(key: "a"), reason: "r")
        )
        #expect(first == .delivered(externalID: "inc-1", attempts: 2))
        #expect(clock.now().duration(since: start) >= .seconds(30), "the command itself waited the API's 30 s")
        // The API's answer stopped every call, not just the throttled one: a stop set now holds the next command.
        deliverer.gate.block(until: clock.now().advanced(by: .seconds(12)))
        let before = clock.now()
        _ = await deliverer.deliver(
            IncidentCommand(action: .create, dedupKey: "b", event: sampleEvent(key: "b"), reason: "r")
        )
        #expect(clock.now().duration(since: before) == .seconds(12))
    }

    @Test func aThrottledCallStopsOtherKeysUntilRetryAfter() async throws {
        let clock = ManualClock()
        let gate = TargetGate(limits: .unlimited, clock: clock)
        gate.block(until: clock.now().advanced(by: .seconds(5)))
        gate.block(until: clock.now().advanced(by: .seconds(2)))
        #expect(gate.blockedUntil(now: clock.now()) == clock.now().advanced(by: .seconds(5)), "the later stop wins")
        #expect(try await gate.waitForTurn() == .seconds(5))
        #expect(gate.blockedUntil(now: clock.now()) == nil)
    }
}

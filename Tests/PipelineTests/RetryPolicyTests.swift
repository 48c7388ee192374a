import IncidentAPI
import Logging
import Normalizer
import Pipeline
import PipelineTestSupport
import Synchronization
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    let now = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!
    let failure = TargetFailure(.unavailable, "down", httpStatus: 503)

    @Test func finalOutcomesAreNeverRetried() {
        let policy = RetryPolicy()
        #expect(policy.next(after: .permanent(failure), attempts: 1, elapsed: .zero, now: now, random: 0.5) == .giveUp)
        #expect(
            policy.next(after: .authFailure(failure), attempts: 1, elapsed: .zero, now: now, random: 0.5) == .giveUp
        )
    }

    @Test func backoffIsExponentialWithFullJitterAndACap() {
        var policy = RetryPolicy()
        policy.initialBackoff = .milliseconds(100)
        policy.maxBackoff = .seconds(1)
        policy.maxAttempts = 10
        let retryable = TargetOutcome.retryable(failure, retryAfter: nil)
        let ceilings: [Duration] = (1...6).map { attempts in
            guard
                case .retry(let delay) = policy.next(
                    after: retryable,
                    attempts: attempts,
                    elapsed: .zero,
                    now: now,
                    random: 0.999_999
                )
            else {
                return .zero
            }
            return delay
        }
        #expect(
            ceilings.map { $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 } == [
                99, 199, 399, 799, 999, 999,
            ]
        )
        #expect(
            policy.next(after: retryable, attempts: 3, elapsed: .zero, now: now, random: 0) == .retry(after: .zero),
            "full jitter reaches zero"
        )
    }

    @Test func retryAfterIsAFloor() {
        let policy = RetryPolicy()
        let throttled = TargetOutcome.retryable(failure, retryAfter: .after(.seconds(7)))
        #expect(
            policy.next(after: throttled, attempts: 1, elapsed: .zero, now: now, random: 0.5)
                == .retry(after: .seconds(7))
        )
        let dated = TargetOutcome.retryable(failure, retryAfter: .notBefore(now.advanced(by: .seconds(3))))
        #expect(
            policy.next(after: dated, attempts: 1, elapsed: .zero, now: now, random: 0) == .retry(after: .seconds(3))
        )
    }

    @Test func stopsAtMaxAttemptsAndMaxElapsed() {
        var policy = RetryPolicy()
        policy.maxAttempts = 3
        policy.maxElapsed = .seconds(10)
        let retryable = TargetOutcome.retryable(failure, retryAfter: nil)
        #expect(policy.next(after: retryable, attempts: 3, elapsed: .zero, now: now, random: 0.5) == .giveUp)
        let throttled = TargetOutcome.retryable(failure, retryAfter: .after(.seconds(20)))
        #expect(
            policy.next(after: throttled, attempts: 1, elapsed: .zero, now: now, random: 0.5) == .giveUp,
            "the hint outlasts max_elapsed"
        )
        #expect(policy.next(after: retryable, attempts: 2, elapsed: .seconds(10), now: now, random: 0.5) == .giveUp)
    }
}

@Suite("Deliverer")
struct DelivererTests {
    static func deliverer(
        _ target: ScriptedTarget,
        policy: RetryPolicy,
        clock: any PipelineClock,
        random: Double
    ) -> Deliverer {
        Deliverer(
            target: target,
            policy: policy,
            clock: clock,
            random: FixedRandom(random),
            instruments: PipelineInstruments(factory: NoopTestMetrics.factory, logger: .init(label: "test"))
        )
    }

    @Test func retriesWithoutSleepingAndHonoursTheHint() async {
        let clock = ManualClock()
        let target = ScriptedTarget { command, attempt in
            attempt < 3
                ? .retryable(TargetFailure(.throttled, "429", httpStatus: 429), retryAfter: .after(.seconds(2))) : nil
        }
        let deliverer = Self.deliverer(target, policy: RetryPolicy(), clock: clock, random: 0.5)
        let result = await deliverer.deliver(
            IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent(), reason: "new")
        )
        #expect(result == .delivered(externalID: "inc-1", attempts: 3))
        #expect(clock.sleeps == [.seconds(2), .seconds(2)])
    }

    @Test func anOutageIsBoundedByMaxElapsedNotByAttempts() async {
        let clock = ManualClock()
        let target = ScriptedTarget { _, _ in
            .retryable(TargetFailure(.unavailable, "503", httpStatus: 503), retryAfter: nil)
        }
        var policy = RetryPolicy()
        policy.maxAttempts = 4
        policy.maxElapsed = .seconds(120)
        let deliverer = Self.deliverer(target, policy: policy, clock: clock, random: 0.5)
        let result = await deliverer.deliver(
            IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent(), reason: "new")
        )
        guard case .failed(let failure, let attempts, let first, let last) = result else {
            Issue.record("expected failure, got \(result)")
            return
        }
        // No call was answered: the target is down for everyone, so attempts do not count and only time ends it.
        #expect(attempts > 4)
        #expect(target.calls.count == attempts)
        #expect(failure.httpStatus == 503)
        #expect(last.duration(since: first) == clock.sleeps.reduce(.zero, +))
        #expect(last.duration(since: first) <= .seconds(120))
        #expect(last.duration(since: first) > .seconds(90))
        #expect(deliverer.health.failingSince == first)
    }

    @Test func aCommandFailingWhileTheTargetAnswersOthersGivesUpAfterMaxAttempts() async {
        let clock = ManualClock()
        let health = Mutex<TargetHealth?>(nil)
        let target = ScriptedTarget { command, _ in
            // Another lane's call is answered while this one fails: the target is up, this command is the problem.
            health.withLock { $0 }?.record(.success(externalID: nil, httpStatus: 200), at: clock.now())
            return .retryable(TargetFailure(.unavailable, "500", httpStatus: 500), retryAfter: nil)
        }
        var policy = RetryPolicy()
        policy.maxAttempts = 4
        let deliverer = Self.deliverer(target, policy: policy, clock: clock, random: 0.5)
        health.withLock { $0 = deliverer.health }
        let result = await deliverer.deliver(
            IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent(), reason: "new")
        )
        guard case .failed(let failure, let attempts, let first, let last) = result else {
            Issue.record("expected failure, got \(result)")
            return
        }
        #expect(attempts == 4)
        #expect(failure.httpStatus == 500)
        #expect(last.duration(since: first) == clock.sleeps.reduce(.zero, +))
        #expect(target.calls.count == 4)
    }

    @Test func theFirstAnswerAfterAnOutageWakesWaitingRetries() async throws {
        let clock = SteppedClock()
        let down = Mutex(true)
        let target = ScriptedTarget { _, _ in
            down.withLock { $0 } ? .retryable(TargetFailure(.transport, "connect: refused"), retryAfter: nil) : nil
        }
        var policy = RetryPolicy()
        policy.initialBackoff = .seconds(60)
        policy.maxBackoff = .seconds(60)
        let deliverer = Self.deliverer(target, policy: policy, clock: clock, random: 0.99)
        let waiting = Task {
            await deliverer.deliver(
                IncidentCommand(action: .create, dedupKey: "k", event: sampleEvent(), reason: "new")
            )
        }
        while target.calls.count < 1 { try await Task.sleep(for: .milliseconds(1)) }
        // The retry sleeps about a minute; the clock stands still. Another call's answer ends the wait.
        try await Task.sleep(for: .milliseconds(50))
        #expect(target.calls.count == 1)
        down.withLock { $0 = false }
        deliverer.health.record(.success(externalID: "x", httpStatus: 200), at: clock.now())
        let result = await waiting.value
        #expect(result == .delivered(externalID: "inc-1", attempts: 2))
        #expect(deliverer.health.failingSince == nil)
    }
}

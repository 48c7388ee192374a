public import IncidentAPI
public import Normalizer

/// Sends one command (or one lookup) to the target, retrying per the ``RetryPolicy``.
///
/// Outages wait: while the target answers no call at all (``TargetHealth``), failed attempts are not counted
/// toward `maxAttempts`, retries back off up to `maxBackoff`, and the first answer to any call wakes every waiting
/// retry (each still takes its turn at the ``TargetGate``), so a returning API is used within moments instead of
/// after each command's backoff. Only `maxElapsed`, from a command's first attempt, ends such a wait.
public struct Deliverer: Sendable {
    /// How a delivery ended.
    public enum Result: Sendable, Hashable {
        /// The target applied the command.
        case delivered(externalID: String?, attempts: Int)
        /// The target refused it for good, or stayed unavailable past the retry limit.
        case failed(TargetFailure, attempts: Int, firstFailureAt: Timestamp, lastFailureAt: Timestamp)
        /// Shutdown interrupted the retries; the message stays uncommitted and is redelivered after restart.
        case abandoned
    }

    /// How a lookup by dedup key ended, after retries.
    public enum Lookup: Sendable, Hashable {
        /// The incident exists with this id, in this status at the target.
        case found(externalID: String, status: LookupOutcome.Status)
        /// The target has no incident for the key.
        case notFound
        /// The target cannot look incidents up.
        case unsupported
        /// The lookup kept failing past the retry limit, or was refused for good.
        case failed(TargetFailure, attempts: Int, firstFailureAt: Timestamp, lastFailureAt: Timestamp)
        /// Shutdown interrupted the retries.
        case abandoned
    }

    /// The incident API.
    public let target: any IncidentTarget
    private let policy: RetryPolicy
    private let clock: any PipelineClock
    private let random: any RandomSource
    private let instruments: PipelineInstruments
    /// The target's rate limit and `Retry-After` stop, shared by every lane.
    public let gate: TargetGate
    /// Whether the target answers, from every call's outcome.
    public let health = TargetHealth()
    /// Runs before every call goes out, after its turn at the gate, with the call's dedup key; when it throws, the
    /// call is not made and ends ``Result/abandoned`` (the delivery stage: the key's partition went to another
    /// worker).
    public var beforeCall: (@Sendable (String) async throws -> Void)?

    /// Creates a deliverer.
    /// - Parameter limits: the target's token bucket; default no limit.
    public init(
        target: any IncidentTarget,
        policy: RetryPolicy,
        clock: any PipelineClock,
        random: any RandomSource,
        instruments: PipelineInstruments,
        limits: TargetGate.Limits = .unlimited
    ) {
        gate = TargetGate(limits: limits, clock: clock)
        self.target = target
        self.policy = policy
        self.clock = clock
        self.random = random
        self.instruments = instruments
    }

    /// Delivers `command`, retrying retryable failures.
    public func deliver(_ command: IncidentCommand) async -> Result {
        let result = await retrying(action: command.action.rawValue, key: command.dedupKey) { () -> Attempt<String?> in
            let outcome = await target.execute(command)
            if case .success(let id, _) = outcome { return .done(id, outcome) }
            return .failed(outcome)
        }
        switch result {
        case .done(let id, let attempts): return .delivered(externalID: id, attempts: attempts)
        case .failed(let failure, let attempts, let first, let last):
            return .failed(failure, attempts: attempts, firstFailureAt: first, lastFailureAt: last)
        case .abandoned: return .abandoned
        }
    }

    /// Looks the incident of `dedupKey` up at the target.
    /// - Parameter retry: retry failed lookups as commands are retried; `false` makes one attempt (startup checks,
    ///   which must not hold the worker back while the target is away).
    public func lookup(dedupKey: String, retry: Bool = true) async -> Lookup {
        guard target.supportsLookup else { return .unsupported }
        let result = await retrying(action: "lookup", key: dedupKey, once: !retry) { () -> Attempt<LookupOutcome> in
            let outcome = await target.lookup(dedupKey: dedupKey)
            switch outcome {
            case .failed(let failure): return .failed(failure)
            case .found, .notFound, .unsupported: return .done(outcome, .success(externalID: nil, httpStatus: 200))
            }
        }
        switch result {
        case .done(.found(let id, let status), _): return .found(externalID: id, status: status)
        case .done(.notFound, _): return .notFound
        case .done(_, _): return .unsupported
        case .failed(let failure, let attempts, let first, let last):
            return .failed(failure, attempts: attempts, firstFailureAt: first, lastFailureAt: last)
        case .abandoned: return .abandoned
        }
    }

    // MARK: - The retry loop

    /// One call's result: done with a value (and the outcome to record), or failed with the outcome.
    private enum Attempt<Value: Sendable>: Sendable {
        case done(Value, TargetOutcome)
        case failed(TargetOutcome)
    }

    private enum Retried<Value: Sendable>: Sendable {
        case done(Value, attempts: Int)
        case failed(TargetFailure, attempts: Int, first: Timestamp, last: Timestamp)
        case abandoned
    }

    private func retrying<Value: Sendable>(
        action: String,
        key: String,
        once: Bool = false,
        _ call: () async -> Attempt<Value>
    ) async -> Retried<Value> {
        let start = clock.now()
        var attempts = 0
        var counted = 0
        var firstFailureAt: Timestamp?
        while true {
            if Task.isCancelled { return .abandoned }
            do {
                instruments.gateWaited(target: target.name, duration: try await gate.waitForTurn())
                try await beforeCall?(key)
            } catch {
                return .abandoned
            }
            let answersBefore = health.answers
            attempts += 1
            let attempt = await call()
            let now = clock.now()
            let outcome: TargetOutcome
            switch attempt {
            case .done(let value, let answered):
                record(answered, action: action, now: now, start: start)
                return .done(value, attempts: attempts)
            case .failed(let failed):
                outcome = failed
            }
            record(outcome, action: action, now: now, start: start)
            guard let failure = outcome.failure else { return .abandoned }
            firstFailureAt = firstFailureAt ?? now
            // Another call answered since this one began: the target is up, so this failure is the command's own.
            let outage = health.answers == answersBefore
            if !outage { counted += 1 }
            if case .retryable(_, let hint?) = outcome {
                // The API asked everyone to wait, not just this command: hold the whole target.
                gate.block(until: now.advanced(by: hint.delay(from: now)))
            }
            let decision = policy.next(
                after: outcome,
                attempts: attempts,
                counted: counted,
                elapsed: now.duration(since: start),
                now: now,
                random: random.nextUnit()
            )
            guard !once, case .retry(let delay) = decision else {
                return .failed(failure, attempts: attempts, first: firstFailureAt ?? now, last: now)
            }
            instruments.retry(
                action: action,
                key: key,
                target: target.name,
                failure: failure,
                delay: delay,
                outage: outage
            )
            do {
                try await backOff(delay, wakeOnAnswer: outage, seen: answersBefore)
            } catch {
                return .abandoned
            }
        }
    }

    private func record(_ outcome: TargetOutcome, action: String, now: Timestamp, start: Timestamp) {
        instruments.delivery(
            action: action,
            target: target.name,
            outcome: outcome,
            duration: now.duration(since: start)
        )
        if let transition = health.record(outcome, at: now) {
            instruments.targetHealth(target: target.name, transition, failure: outcome.failure, at: now)
        }
    }

    /// Sleeps `delay`; during an outage, the first answer to any call ends the sleep early.
    private func backOff(_ delay: Duration, wakeOnAnswer: Bool, seen: UInt64) async throws {
        guard wakeOnAnswer else {
            try await clock.sleep(for: delay)
            return
        }
        let health = health
        let clock = clock
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await clock.sleep(for: delay) }
            group.addTask { await health.waitForAnswer(after: seen) }
            defer { group.cancelAll() }
            try await group.next()
        }
        try Task.checkCancellation()
    }
}

public import IncidentAPI
public import Normalizer

/// Sends one command to the target, retrying per the ``RetryPolicy``.
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

    /// The incident API.
    public let target: any IncidentTarget
    private let policy: RetryPolicy
    private let clock: any PipelineClock
    private let random: any RandomSource
    private let instruments: PipelineInstruments
    /// The target's rate limit and `Retry-After` stop, shared by every lane.
    public let gate: TargetGate

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
        let start = clock.now()
        var attempts = 0
        var firstFailureAt: Timestamp?
        while true {
            if Task.isCancelled { return .abandoned }
            do {
                instruments.gateWaited(target: target.name, duration: try await gate.waitForTurn())
            } catch {
                return .abandoned
            }
            attempts += 1
            let outcome = await target.execute(command)
            let now = clock.now()
            instruments.delivery(command, target: target.name, outcome: outcome, duration: now.duration(since: start))
            guard let failure = outcome.failure else {
                if case .success(let id, _) = outcome { return .delivered(externalID: id, attempts: attempts) }
                return .delivered(externalID: nil, attempts: attempts)
            }
            firstFailureAt = firstFailureAt ?? now
            if case .retryable(_, let hint?) = outcome {
                // The API asked everyone to wait, not just this command: hold the whole target.
                gate.block(until: now.advanced(by: hint.delay(from: now)))
            }
            switch policy.next(
                after: outcome,
                attempts: attempts,
                elapsed: now.duration(since: start),
                now: now,
                random: random.nextUnit()
            ) {
            case .giveUp:
                return .failed(failure, attempts: attempts, firstFailureAt: firstFailureAt ?? now, lastFailureAt: now)
            case .retry(let delay):
                instruments.retry(command, target: target.name, failure: failure, delay: delay)
                do {
                    try await clock.sleep(for: delay)
                } catch {
                    return .abandoned
                }
            }
        }
    }
}

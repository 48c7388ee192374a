public import IncidentAPI
public import Normalizer

/// When to try a failed call again: a pure value (STYLE.md §17).
///
/// Retryable outcomes (408, 429, 5xx except 501, transport errors) are retried with exponential backoff and full
/// jitter, never sooner than the API's `Retry-After`, until `maxAttempts` counted failures or `maxElapsed`;
/// everything else is final. Which failures count is the caller's call: the ``Deliverer`` counts only those that
/// happened while the target answered other calls (see ``TargetHealth``), so an outage is bounded by `maxElapsed`
/// alone.
public struct RetryPolicy: Sendable, Hashable {
    /// Most counted failed calls per command before it is given up; default 5. Failures during an outage (no call
    /// to the target answered) are not counted, so `maxElapsed` is what ends the wait then.
    public var maxAttempts: Int = 5
    /// The backoff cap for the first retry; doubles per attempt up to ``maxBackoff``; default 200 ms.
    public var initialBackoff: Duration = .milliseconds(200)
    /// The largest backoff; default 30 s.
    public var maxBackoff: Duration = .seconds(30)
    /// Give up when the next attempt would start later than this after the first; default 5 min.
    public var maxElapsed: Duration = .seconds(300)

    /// Creates a policy with the documented defaults.
    public init() {}

    /// What to do after a failed attempt.
    public enum Decision: Sendable, Hashable {
        /// Try again after this delay.
        case retry(after: Duration)
        /// Stop; the failure is final.
        case giveUp
    }

    /// Decides about the next attempt.
    /// - Parameters:
    ///   - outcome: how the last attempt ended.
    ///   - attempts: attempts made so far (1 after the first); sets the backoff.
    ///   - counted: of those, the failures that count toward ``maxAttempts``; default all of them.
    ///   - elapsed: time since the first attempt started.
    ///   - now: the current time, for `Retry-After` dates.
    ///   - random: a uniform value in 0..<1 for the jitter.
    public func next(
        after outcome: TargetOutcome,
        attempts: Int,
        counted: Int? = nil,
        elapsed: Duration,
        now: Timestamp,
        random: Double
    ) -> Decision {
        guard case .retryable(_, let hint) = outcome, (counted ?? attempts) < maxAttempts else { return .giveUp }
        let exponent = min(attempts - 1, 30)
        let ceiling = min(maxBackoff, initialBackoff * (1 << exponent))
        var delay = ceiling * random
        if let hint { delay = max(delay, hint.delay(from: now)) }
        guard elapsed + delay <= maxElapsed else { return .giveUp }
        return .retry(after: delay)
    }
}

public import Normalizer
import Synchronization

/// Admits calls to one target: a token bucket (rate, burst) and a stop for the whole target while the API asked
/// callers to wait (`Retry-After`, DevRev's `retry_after`).
///
/// The bucket is a GCRA reservation: each call reserves the next free slot and sleeps until it, so calls are spread
/// evenly at `rate` after an initial `burst`, waiting callers are served in arrival order, and there is no polling.
/// Time comes from the injected ``PipelineClock``, so tests check the schedule without sleeping.
public final class TargetGate: Sendable {
    /// The bucket's settings.
    public struct Limits: Sendable, Hashable {
        /// Calls per second; `nil` for no limit.
        public var rate: Double?
        /// Calls that may start at once after a quiet period; at least 1.
        public var burst: Int

        /// Creates limits.
        public init(rate: Double?, burst: Int = 1) {
            self.rate = rate
            self.burst = max(1, burst)
        }

        /// No limit.
        public static let unlimited = Limits(rate: nil)
    }

    private struct State {
        /// The theoretical arrival time of the next call, in milliseconds since the epoch.
        var nextFree: Double = 0
        /// The part of the rate this worker may use (its share of the events partitions); 1 alone.
        var share: Double = 1
        /// No call starts before this (milliseconds since the epoch).
        var blockedUntil: Int64 = 0
    }

    /// The settings.
    public let limits: Limits
    private let clock: any PipelineClock
    private let state = Mutex(State())

    /// Creates a gate.
    public init(limits: Limits, clock: any PipelineClock) {
        self.limits = limits
        self.clock = clock
    }

    /// Waits until a call may start, and counts it.
    /// - Returns: how long the caller waited.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    @discardableResult
    public func waitForTurn() async throws -> Duration {
        var waited: Duration = .zero
        let wait = reserve(now: clock.now())
        if wait > .zero {
            try await clock.sleep(for: wait)
            waited += wait
        }
        // A Retry-After that arrived while this call waited for its slot still holds it back.
        while true {
            let now = clock.now()
            let blockedFor = state.withLock { $0.blockedUntil } - now.millisecondsSinceEpoch
            guard blockedFor > 0 else { return waited }
            try await clock.sleep(for: .milliseconds(blockedFor))
            waited += .milliseconds(blockedFor)
        }
    }

    /// Stops every call to the target until `until`; a later stop wins over an earlier one.
    public func block(until: Timestamp) {
        state.withLock { $0.blockedUntil = max($0.blockedUntil, until.millisecondsSinceEpoch) }
    }

    /// The time calls are stopped until, if a stop is in force at `now`.
    public func blockedUntil(now: Timestamp) -> Timestamp? {
        let until = state.withLock { $0.blockedUntil }
        return until > now.millisecondsSinceEpoch ? Timestamp(millisecondsSinceEpoch: until) : nil
    }

    /// Uses `share` (0 < share ≤ 1) of the configured rate and burst from now on: the share of the target's calls
    /// this worker makes when several share it.
    public func setShare(_ share: Double) {
        state.withLock { $0.share = min(1, max(share, 0.000_001)) }
    }

    /// Reserves the next slot; returns how long until it starts.
    func reserve(now: Timestamp) -> Duration {
        let nowMS = Double(now.millisecondsSinceEpoch)
        return state.withLock { state in
            var start = max(nowMS, Double(state.blockedUntil))
            if let configured = limits.rate, configured > 0 {
                let rate = configured * state.share
                let burst = max(1, (Double(limits.burst) * state.share).rounded(.down))
                let interval = 1000 / rate
                let tolerance = (burst - 1) * interval
                start = max(start, state.nextFree - tolerance)
                state.nextFree = max(state.nextFree, start) + interval
            }
            let waitMS = start - nowMS
            return waitMS > 0 ? .microseconds(Int64((waitMS * 1000).rounded(.up))) : .zero
        }
    }
}

public import Normalizer
public import Pipeline
import Synchronization

/// A clock that never sleeps: `sleep` records the delay and advances the time at once.
public final class ManualClock: PipelineClock {
    private let state: Mutex<(now: Timestamp, sleeps: [Duration])>

    /// Creates a clock showing `start`.
    public init(start: Timestamp = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!) {
        state = Mutex((start, []))
    }

    public func now() -> Timestamp { state.withLock { $0.now } }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.sleeps.append(duration)
            state.now = state.now.advanced(by: duration)
        }
        await Task.yield()
    }

    /// Every delay slept, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    /// Moves the time forward without a sleep.
    public func advance(by duration: Duration) {
        state.withLock { $0.now = $0.now.advanced(by: duration) }
    }
}

/// A random source returning a fixed value.
public struct FixedRandom: RandomSource {
    let value: Double

    /// Creates a source that always returns `value`.
    public init(_ value: Double) { self.value = value }

    public func nextUnit() -> Double { value }
}

/// A clock that stands still until the test moves it: `sleep` waits until the time has been advanced past its end.
/// For timers (the minimum update interval) whose effect a test checks before and after the time passes.
public final class SteppedClock: PipelineClock {
    private let current: Mutex<Timestamp>

    /// Creates a clock showing `start`.
    public init(start: Timestamp = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!) {
        current = Mutex(start)
    }

    public func now() -> Timestamp { current.withLock { $0 } }

    public func sleep(for duration: Duration) async throws {
        let end = now().advanced(by: duration)
        while now() < end {
            try Task.checkCancellation()
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Moves the time forward; sleepers whose end has come wake up.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }
}

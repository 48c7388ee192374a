import Foundation
import Synchronization

/// Notices that the whole process stood still (SIGSTOP, a stalled VM, a laptop lid) and holds calls to the target
/// until the consumer group has had the chance to say whether this worker still owns its partitions.
///
/// While a process is frozen its consumer sends no heartbeats; past the session timeout the group gives its
/// partitions to another worker, which restores their state and goes on. When the frozen process wakes, every
/// thread resumes at once: its lanes would finish the calls they were about to make (a create for a key the new
/// owner has created meanwhile) before its consumer learns, at its next heartbeat, that the partitions are gone.
/// The changelog's fencing keeps such a zombie's writes out of the state; this keeps its calls off the target.
///
/// A thread of its own ticks every 100 ms: a tick late by more than ``Settings/freezeLimit`` means the process was
/// frozen, and calls wait ``Settings/confirmFor`` after it (long enough for a heartbeat and the revocation it
/// brings). Starved async work does not count: the ticker is not on the cooperative pool, and librdkafka's own
/// threads heartbeat through such stalls.
final class FreezeGuard: Sendable {
    struct Settings: Sendable, Hashable {
        /// A gap longer than this between ticks is a freeze; a third of the session timeout by default, so any
        /// freeze long enough to lose the partitions is noticed.
        var freezeLimit: Duration = .seconds(15)
        /// How long calls wait after a freeze: a heartbeat interval (librdkafka's default is 3 s) and a margin.
        var confirmFor: Duration = .seconds(5)

        /// The limits for a consumer with `sessionTimeout`.
        static func forSession(_ sessionTimeout: Duration) -> Settings {
            Settings(freezeLimit: max(.seconds(1), sessionTimeout / 3), confirmFor: .seconds(5))
        }
    }

    private struct State {
        var lastTick: ContinuousClock.Instant
        var holdUntil: ContinuousClock.Instant
        var freezes = 0
        var stopped = false
    }

    let settings: Settings
    private let state: Mutex<State>
    private let onFreeze: @Sendable (Duration) -> Void

    init(settings: Settings, onFreeze: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.settings = settings
        let now = ContinuousClock.now
        state = Mutex(State(lastTick: now, holdUntil: now))
        self.onFreeze = onFreeze
    }

    /// Starts the ticking thread; it ends with ``stop()``.
    func start() {
        let thread = Thread { [self] in
            while !state.withLock({ $0.stopped }) {
                tick()
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        thread.name = "ingestor-freeze-guard"
        thread.start()
    }

    func stop() {
        state.withLock { $0.stopped = true }
    }

    /// How many freezes were noticed.
    var freezes: Int { state.withLock { $0.freezes } }

    /// Records a tick at `now`; a late one starts a hold. Internal for tests.
    func tick(at now: ContinuousClock.Instant = .now) {
        let gap: Duration? = state.withLock { state in
            let gap = now - state.lastTick
            state.lastTick = now
            guard gap > settings.freezeLimit else { return nil }
            state.freezes += 1
            state.holdUntil = max(state.holdUntil, now + settings.confirmFor)
            return gap
        }
        if let gap { onFreeze(gap) }
    }

    /// Whether calls may go out at `now`: no freeze is under way (a tick overdue) and none ended within the hold.
    func mayCall(at now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { now - $0.lastTick <= settings.freezeLimit && now >= $0.holdUntil }
    }

    /// Waits until calls may go out, checking `stillOwned` every 100 ms; throws what `stillOwned` throws (the
    /// partition went to another worker while this one was frozen).
    func waitUntilCallsMayGo(stillOwned: () throws -> Void) async throws {
        while true {
            try stillOwned()
            if mayCall() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

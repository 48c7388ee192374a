import DequeModule
import Synchronization

/// Counts permits for in-flight work; `acquire` waits (cancellably) until enough are free, first come first served.
final class AsyncSemaphore: Sendable {
    private struct Waiter {
        var id: UInt64
        var count: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var available: Int
        var waiters: Deque<Waiter> = []
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    /// The total number of permits.
    let capacity: Int
    private let state: Mutex<State>

    init(permits: Int) {
        precondition(permits > 0)
        capacity = permits
        state = Mutex(State(available: permits))
    }

    /// Permits currently held.
    var inUse: Int { capacity - state.withLock { $0.available } }

    /// Takes `count` permits (at most ``capacity``), waiting until they are free.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    func acquire(_ count: Int = 1) async throws {
        let count = min(count, capacity)
        guard count > 0 else { return }
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if state.waiters.isEmpty, state.available >= count {
                        state.available -= count
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, count: count, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                    return state.waiters.remove(at: index)
                }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.continuation.resume(throwing: CancellationError())
            // A cancelled waiter at the head may have been blocking others.
            release(0)
        }
        state.withLock { _ = $0.cancelled.remove(id) }
    }

    /// Takes `count` permits if they are free now and nobody waits; never waits.
    func tryAcquire(_ count: Int = 1) -> Bool {
        let count = min(count, capacity)
        return state.withLock { state in
            guard state.waiters.isEmpty, state.available >= count else { return false }
            state.available -= count
            return true
        }
    }

    /// Takes `count` permits (at most ``capacity``) even when fewer are free, leaving a debt that releases repay
    /// before anyone waiting is woken. For a message whose events must all be admitted together.
    func forceAcquire(_ count: Int) {
        let count = min(count, capacity)
        state.withLock { $0.available -= count }
    }

    /// Whether at least `count` permits are free.
    func hasRoom(_ count: Int = 1) -> Bool { state.withLock { $0.available >= min(count, capacity) } }

    /// Returns `count` permits and wakes waiters that now fit.
    func release(_ count: Int = 1) {
        let ready: [Waiter] = state.withLock { state in
            state.available += min(count, capacity)
            var ready: [Waiter] = []
            while let first = state.waiters.first, first.count <= state.available {
                state.available -= first.count
                ready.append(state.waiters.removeFirst())
            }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }
}

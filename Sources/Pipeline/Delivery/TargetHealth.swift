public import IncidentAPI
public import Normalizer
import Synchronization

/// Whether a target is answering, from the outcome of every call made to it (deliveries and lookups alike).
///
/// The retry loop reads it to tell an outage from a poison command: while *no* call gets an answer (connections
/// refused, 5xx, 429), the target is down for everyone and a command's failed attempts say nothing about the command,
/// so they do not count toward `retry.max_attempts`; only `retry.max_elapsed` ends the wait. While other calls are
/// answered, a command that keeps failing is the problem, and its attempts count.
///
/// An answer is a 2xx or any final verdict (a 4xx, an auth failure): the API is up, even if it refused this call.
public final class TargetHealth: Sendable {
    private struct State {
        /// When the current run of unanswered calls began; `nil` while the target answers.
        var failingSince: Timestamp?
        /// Answers so far: "was anything answered since X" compares two readings of it.
        var answers: UInt64 = 0
        /// Callers waiting for the next answer.
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates the health of a target that has not been called yet (assumed up).
    public init() {}

    /// A change of the target's state, for the log line and the gauge.
    public enum Transition: Sendable, Hashable {
        /// The first unanswered call after an answer.
        case stoppedAnswering
        /// An answer after a run of unanswered calls that began at `since`.
        case answersAgain(since: Timestamp)
    }

    /// Records how one call ended.
    /// - Returns: the change it made, if it made one.
    @discardableResult
    public func record(_ outcome: TargetOutcome, at now: Timestamp) -> Transition? {
        if case .retryable = outcome {
            return state.withLock { state in
                guard state.failingSince == nil else { return nil }
                state.failingSince = now
                return .stoppedAnswering
            }
        }
        let (waiters, since) = state.withLock { state in
            let since = state.failingSince
            state.failingSince = nil
            state.answers &+= 1
            defer { state.waiters.removeAll() }
            return (Array(state.waiters.values), since)
        }
        for waiter in waiters { waiter.resume() }
        return since.map { .answersAgain(since: $0) }
    }

    /// When the target stopped answering, if it has (every call since then failed with a retryable outcome).
    public var failingSince: Timestamp? { state.withLock { $0.failingSince } }

    /// A reading of the answer count, to compare with a later one.
    public var answers: UInt64 { state.withLock { $0.answers } }

    /// Returns once a call is answered after the reading `seen` (at once if one already was), or when the task is
    /// cancelled.
    public func waitForAnswer(after seen: UInt64) async {
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    // Checked under the lock the cancellation handler takes, so a cancel never strands a waiter.
                    if state.answers != seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

import Normalizer
import Synchronization

/// One message between intake and its final outcome: counts its unfinished events and keeps the first failure.
final class InFlightMessage: Sendable {
    /// Why a message cannot be delivered, without the original (which the owner holds).
    struct Failure: Sendable {
        var stage: DeadLetter.Stage
        var reason: String
        var message: String
        var target: String?
        var httpStatus: Int?
        var responseExcerpt: String?
        var attempts: Int = 0
        var dedupKey: String?
        var action: IncidentCommand.Action?
        var command: IncidentCommand?
        var firstFailureAt: Timestamp
        var lastFailureAt: Timestamp
    }

    private struct State {
        var remaining: Int
        var failure: Failure?
        var abandoned = false
    }

    let message: SourceMessage
    /// How the intake began it, to finish it there.
    let ticket: OffsetTicket
    /// Permits this message holds in the runner's semaphore.
    let permits: Int
    private let state: Mutex<State>

    init(message: SourceMessage, ticket: OffsetTicket, permits: Int, events: Int, failure: Failure? = nil) {
        self.message = message
        self.ticket = ticket
        self.permits = permits
        state = Mutex(State(remaining: events, failure: failure))
    }

    /// Keeps the first failure.
    func fail(_ failure: Failure) {
        state.withLock { if $0.failure == nil { $0.failure = failure } }
    }

    /// Marks the message as interrupted by shutdown.
    func abandon() {
        state.withLock { $0.abandoned = true }
    }

    /// Records one finished event; `true` when it was the last.
    func eventFinished() -> Bool {
        state.withLock { state in
            state.remaining -= 1
            return state.remaining == 0
        }
    }

    var failure: Failure? { state.withLock { $0.failure } }
    var isAbandoned: Bool { state.withLock { $0.abandoned } }
}

import IncidentAPI
import Normalizer

/// Sends one command for a message and records what came of it: a create bracketed by its intent in the store,
/// the target's answer applied to the state, a failure kept on the message for its dead letter.
struct CommandSender: Sendable {
    let correlator: Correlator
    let deliverer: Deliverer
    let instruments: PipelineInstruments
    let clock: any PipelineClock

    /// Delivers one command for `owner`, recording a state-store failure as its dead letter.
    func deliver(_ command: IncidentCommand, owner: InFlightMessage) async {
        do {
            try await send(command, owner: owner, origin: owner.message.position.description)
        } catch {
            failStateStore(owner, key: command.dedupKey, error: error)
        }
    }

    /// Records that the state store refused a change: the message's failure, or, when its partition went to
    /// another worker meanwhile, left unfinished for that worker (which reads it again).
    func failStateStore(_ owner: InFlightMessage, key: String, error: any Error) {
        if error is ChangelogPartition.NotOwned {
            owner.abandon()
            return
        }
        let now = clock.now()
        owner.fail(
            .init(
                stage: .correlate,
                reason: "state_store_error",
                message: "\(error)",
                dedupKey: key,
                firstFailureAt: now,
                lastFailureAt: now
            )
        )
    }

    /// Delivers one command; a create is bracketed by its intent in the store.
    func send(_ command: IncidentCommand, owner: InFlightMessage, origin: String) async throws {
        let isCreate = command.action == .create
        if isCreate { try await correlator.beginCreate(command, at: clock.now()) }
        switch await deliverer.deliver(command) {
        case .delivered(let externalID, let attempts):
            if isCreate, externalID == nil {
                // The incident probably exists without an id we can use: the intent stays for a lookup.
                let now = clock.now()
                owner.fail(
                    .init(
                        stage: .deliver,
                        reason: "target_invalid_response",
                        message: "the target returned no incident id",
                        target: deliverer.target.name,
                        attempts: attempts,
                        dedupKey: command.dedupKey,
                        action: command.action,
                        command: command,
                        firstFailureAt: now,
                        lastFailureAt: now
                    )
                )
            } else {
                try await correlator.applied(
                    command,
                    externalID: externalID,
                    at: clock.now(),
                    origin: origin,
                    position: owner.message.position
                )
                instruments.applied(command)
            }
        case .failed(let failure, let attempts, let first, let last):
            if isCreate, !Self.mayHaveApplied(failure) {
                try await correlator.createFailed(command, at: clock.now())
            }
            owner.fail(
                .init(
                    stage: .deliver,
                    reason: failure.code.rawValue,
                    message: failure.message,
                    target: deliverer.target.name,
                    httpStatus: failure.httpStatus,
                    responseExcerpt: failure.responseExcerpt,
                    attempts: attempts,
                    dedupKey: command.dedupKey,
                    action: command.action,
                    command: command,
                    firstFailureAt: first,
                    lastFailureAt: last
                )
            )
        case .abandoned:
            // A create's intent stays: after the restart it is looked up before anything is created again.
            owner.abandon()
        }
    }

    /// Whether the target may have applied a call that ended with `failure` (no answer, a 5xx, or a 2xx without an
    /// id): a create's intent is then kept, so the key is looked up before it is created again. A call that never
    /// connected cannot have been applied.
    static func mayHaveApplied(_ failure: TargetFailure) -> Bool {
        !failure.notSent && [TargetFailure.Code.transport, .unavailable, .invalidResponse].contains(failure.code)
    }
}

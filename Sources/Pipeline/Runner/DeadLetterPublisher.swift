import Logging
import Normalizer

/// Turns a failed message into its dead letter and publishes it, retrying until the sink acknowledges it: only
/// then may the message's offset move.
struct DeadLetterPublisher: Sendable {
    let sink: any DeadLetterSink
    let clock: any PipelineClock
    let instruments: PipelineInstruments
    let logger: Logger
    /// The version written into letters.
    let workerVersion: String
    /// Replays after which a letter that keeps failing is parked.
    let maxReplays: Int

    /// A letter handed to the sink, its acknowledgement pending.
    struct Pending: Sendable {
        let letter: DeadLetter
        /// `nil` when the sink refused to take it; ``complete(_:)`` then publishes it again.
        let receipt: SinkReceipt?
    }

    /// Builds the letter of `message` and hands it to the sink now. Call in the order letters should be stored in.
    func hand(_ message: SourceMessage, _ failure: InFlightMessage.Failure) async -> Pending {
        let letter = DeadLetter(
            original: message,
            stage: failure.stage,
            reason: failure.reason,
            message: failure.message,
            target: failure.target,
            httpStatus: failure.httpStatus,
            responseExcerpt: failure.responseExcerpt,
            attempts: failure.attempts,
            dedupKey: failure.dedupKey,
            action: failure.action,
            command: failure.command,
            firstFailureAt: failure.firstFailureAt,
            lastFailureAt: failure.lastFailureAt,
            workerVersion: workerVersion,
            maxReplays: maxReplays
        )
        do {
            return Pending(letter: letter, receipt: try await sink.send(letter))
        } catch {
            logger.error("dead-letter publish to \(sink.destination) failed, retrying: \(error)")
            return Pending(letter: letter, receipt: nil)
        }
    }

    /// Waits until the sink acknowledged the letter, publishing it again (backing off up to 10 s) as long as it
    /// fails; `nil` when the task was cancelled (shutdown) first.
    func complete(_ pending: Pending) async -> DeadLetter? {
        let letter = pending.letter
        var acknowledged = false
        if let receipt = pending.receipt {
            do {
                try await receipt.acknowledged()
                acknowledged = true
            } catch {
                logger.error("dead-letter publish to \(sink.destination) failed, retrying: \(error)")
            }
        }
        var backoff: Duration = .milliseconds(100)
        while !acknowledged {
            if Task.isCancelled { return nil }
            try? await clock.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(10))
            do {
                try await sink.publish(letter)
                acknowledged = true
            } catch {
                logger.error("dead-letter publish to \(sink.destination) failed, retrying in \(backoff): \(error)")
            }
        }
        instruments.deadLettered(letter, at: clock.now())
        return letter
    }
}

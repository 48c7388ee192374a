import IncidentAPI
public import Logging
public import Normalizer
import ServiceLifecycle
import Synchronization

/// Runs messages from a source through normalize → correlate → deliver, dead-letters what cannot be delivered,
/// and moves offsets only past messages with a final outcome.
///
/// Concurrency: one intake loop; `lanes` workers, each handling the events whose dedup key hashes to it, in order;
/// dead letters published concurrently. At most `maxInFlightEvents` events are in flight; beyond that the intake
/// stops pulling, and librdkafka's bounded prefetch is the only buffer.
///
/// Shutdown (graceful shutdown of the service group, ``stop()``, or cancellation): stop intake, let in-flight work
/// finish within `drainTimeout`, leave the rest uncommitted for redelivery, commit, close the source.
public final class PipelineRunner<Source: MessageSource>: Sendable {
    private struct LaneItem: Sendable {
        var event: NormalizedEvent
        var owner: InFlightMessage
    }

    private let source: Source
    private let normalizer: Normalizer
    private let correlator: Correlator
    private let deliverer: Deliverer
    private let deadLetters: any DeadLetterSink
    private let configuration: PipelineConfiguration
    private let instruments: PipelineInstruments
    private let clock: any PipelineClock
    private let logger: Logger
    private let ledger = Mutex(OffsetLedger())
    private let permits: AsyncSemaphore
    private let intakeTask = Mutex<Task<Void, any Error>?>(nil)
    private let stopRequested = Mutex(false)

    /// Creates a runner; nothing happens until ``run()``.
    public init(
        source: Source,
        normalizer: Normalizer,
        correlator: Correlator,
        deliverer: Deliverer,
        deadLetters: any DeadLetterSink,
        configuration: PipelineConfiguration,
        instruments: PipelineInstruments,
        clock: any PipelineClock,
        logger: Logger
    ) {
        self.source = source
        self.normalizer = normalizer
        self.correlator = correlator
        self.deliverer = deliverer
        self.deadLetters = deadLetters
        self.configuration = configuration
        self.instruments = instruments
        self.clock = clock
        self.logger = logger
        permits = AsyncSemaphore(permits: max(1, configuration.maxInFlightEvents))
    }

    /// Events currently in flight.
    public var inFlightEvents: Int { permits.inUse }

    /// Stops intake and drains, as a graceful shutdown does.
    public func stop() {
        stopRequested.withLock { $0 = true }
        intakeTask.withLock { $0 }?.cancel()
    }

    /// Runs until the source ends, ``stop()`` is called, the service group shuts down, or the task is cancelled.
    public func run() async throws {
        let lanes = (0..<max(1, configuration.lanes)).map { _ in AsyncStream.makeStream(of: LaneItem.self) }
        let completions = AsyncStream.makeStream(of: InFlightMessage.self)
        let laneInputs = lanes.map(\.continuation)
        let completionInput = completions.continuation

        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in lanes {
                group.addTask {
                    for await item in lane.stream { await self.process(item, completions: completionInput) }
                }
            }
            group.addTask { await self.handleCompletions(completions.stream) }

            let intake = Task { try await self.intake(lanes: laneInputs, completions: completionInput) }
            intakeTask.withLock { $0 = intake }
            if stopRequested.withLock({ $0 }) { intake.cancel() }
            let intakeResult = await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await intake.result
                } onGracefulShutdown: {
                    intake.cancel()
                }
            } onCancel: {
                intake.cancel()
            }

            let drained = await drain()
            for lane in laneInputs { lane.finish() }
            completionInput.finish()
            if !drained { group.cancelAll() }
            try await group.waitForAll()

            do {
                try await source.commit()
            } catch {
                logger.warning("final commit failed: \(error)")
            }
            try await source.close()
            if case .failure(let error) = intakeResult, !(error is CancellationError) { throw error }
        }
    }

    /// Waits for in-flight work to finish, up to the drain timeout.
    private func drain() async -> Bool {
        let deadline = ContinuousClock.now + configuration.drainTimeout
        while permits.inUse > 0 {
            if ContinuousClock.now >= deadline {
                logger.warning("drain timeout: \(permits.inUse) events left in flight for redelivery after restart")
                return false
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    private func intake(
        lanes: [AsyncStream<LaneItem>.Continuation],
        completions: AsyncStream<InFlightMessage>.Continuation
    ) async throws {
        var iterator = source.events.makeAsyncIterator()
        while let event = try await iterator.next() {
            switch event {
            case .assigned(let partitions):
                ledger.withLock { ledger in
                    for partition in partitions { ledger.track(partition) }
                }
                logger.info("assigned \(partitions.map(\.description).joined(separator: ", "))")
            case .revoked(let partitions):
                ledger.withLock { $0.forget(partitions) }
                logger.info("revoked \(partitions.map(\.description).joined(separator: ", "))")
            case .message(let message):
                // Waiting here holds at most this one message. If shutdown cancels the wait, the message was never
                // begun in the ledger, so no offset at or past it can be committed: it is redelivered.
                try await permits.acquire(1)
                try await admit(message, lanes: lanes, completions: completions)
            }
        }
    }

    /// Normalizes one message and hands its events to their lanes (or its rejection to the completion handler).
    private func admit(
        _ message: SourceMessage,
        lanes: [AsyncStream<LaneItem>.Continuation],
        completions: AsyncStream<InFlightMessage>.Continuation
    ) async throws {
        instruments.consumed(message)
        let generation = ledger.withLock { ledger in
            let generation = ledger.generation(of: message.position.partition)
            ledger.begin(message.position, generation: generation)
            return generation
        }
        let events: [NormalizedEvent]
        do {
            events = try normalizer.normalize(
                message.normalizerInput,
                route: configuration.route(for: message.position.partition.topic)
            )
        } catch {
            let now = clock.now()
            let failure = InFlightMessage.Failure(
                stage: .normalize,
                reason: error.code.rawValue,
                message: error.message,
                firstFailureAt: now,
                lastFailureAt: now
            )
            completions.yield(
                InFlightMessage(message: message, generation: generation, permits: 1, events: 0, failure: failure)
            )
            return
        }
        instruments.normalized(events, from: message)
        let needed = min(max(events.count, 1), permits.capacity)
        do {
            try await permits.acquire(needed - 1)
        } catch {
            permits.release(1)
            throw error
        }
        instruments.began(inFlight: permits.inUse)
        let owner = InFlightMessage(message: message, generation: generation, permits: needed, events: events.count)
        guard !events.isEmpty else {
            completions.yield(owner)
            return
        }
        for event in events {
            lanes[Self.lane(for: event.dedupKey, count: lanes.count)].yield(LaneItem(event: event, owner: owner))
        }
    }

    /// Correlates and delivers one event; the last event of a message hands it to the completion handler.
    private func process(_ item: LaneItem, completions: AsyncStream<InFlightMessage>.Continuation) async {
        let event = item.event
        do {
            let decision = try await correlator.decide(event)
            instruments.decided(decision, for: event)
            if case .send(let command) = decision {
                switch await deliverer.deliver(command) {
                case .delivered(let externalID, let attempts):
                    if command.action == .create, externalID == nil {
                        let now = clock.now()
                        item.owner.fail(
                            .init(
                                stage: .deliver,
                                reason: "target_invalid_response",
                                message: "the target returned no incident id",
                                target: deliverer.target.name,
                                attempts: attempts,
                                dedupKey: event.dedupKey,
                                action: command.action,
                                firstFailureAt: now,
                                lastFailureAt: now
                            )
                        )
                    } else {
                        try await correlator.applied(command, externalID: externalID)
                        instruments.applied(command)
                    }
                case .failed(let failure, let attempts, let first, let last):
                    item.owner.fail(
                        .init(
                            stage: .deliver,
                            reason: failure.code.rawValue,
                            message: failure.message,
                            target: deliverer.target.name,
                            httpStatus: failure.httpStatus,
                            responseExcerpt: failure.responseExcerpt,
                            attempts: attempts,
                            dedupKey: event.dedupKey,
                            action: command.action,
                            firstFailureAt: first,
                            lastFailureAt: last
                        )
                    )
                case .abandoned:
                    item.owner.abandon()
                }
            }
        } catch {
            let now = clock.now()
            item.owner.fail(
                .init(
                    stage: .correlate,
                    reason: "state_store_error",
                    message: "\(error)",
                    dedupKey: event.dedupKey,
                    firstFailureAt: now,
                    lastFailureAt: now
                )
            )
        }
        if item.owner.eventFinished() { completions.yield(item.owner) }
    }

    private func handleCompletions(_ stream: AsyncStream<InFlightMessage>) async {
        await withTaskGroup(of: Void.self) { group in
            for await owner in stream {
                if owner.isAbandoned {
                    instruments.abandoned(owner.message)
                    permits.release(owner.permits)
                } else if let failure = owner.failure {
                    group.addTask { await self.deadLetter(owner, failure) }
                } else {
                    finish(owner)
                }
            }
        }
    }

    /// Publishes the dead letter, retrying until the sink acknowledges it; only then does the offset move.
    private func deadLetter(_ owner: InFlightMessage, _ failure: InFlightMessage.Failure) async {
        let letter = DeadLetter(
            original: owner.message,
            stage: failure.stage,
            reason: failure.reason,
            message: failure.message,
            target: failure.target,
            httpStatus: failure.httpStatus,
            responseExcerpt: failure.responseExcerpt,
            attempts: failure.attempts,
            dedupKey: failure.dedupKey,
            action: failure.action,
            firstFailureAt: failure.firstFailureAt,
            lastFailureAt: failure.lastFailureAt,
            workerVersion: configuration.workerVersion
        )
        var backoff: Duration = .milliseconds(100)
        while true {
            if Task.isCancelled {
                instruments.abandoned(owner.message)
                permits.release(owner.permits)
                return
            }
            do {
                try await deadLetters.publish(letter)
                break
            } catch {
                logger.error(
                    "dead-letter publish to \(deadLetters.destination) failed, retrying in \(backoff): \(error)"
                )
                try? await clock.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(10))
            }
        }
        instruments.deadLettered(letter)
        finish(owner)
    }

    /// Records the final outcome and stores the new committable offset, if it advanced.
    private func finish(_ owner: InFlightMessage) {
        let position = ledger.withLock { $0.finish(owner.message.position, generation: owner.generation) }
        if let position {
            do {
                try source.store([position])
            } catch {
                logger.debug("offset store for \(position) skipped: \(error)")
            }
        }
        permits.release(owner.permits)
        instruments.finished(inFlight: permits.inUse)
    }

    /// The lane of a dedup key: FNV-1a, so the mapping is stable across runs.
    static func lane(for key: String, count: Int) -> Int {
        Int(FNV1a.hash(key) % UInt64(count))
    }
}

public import Logging
public import Normalizer
import ServiceLifecycle
import Synchronization

/// The normalize stage: reads raw records, normalizes them, and writes every event to the events topic, keyed by
/// its dedup key (or its group key with `group_by`), so that everything one incident is made of lands on one
/// partition whatever partition its sender chose. Rejections become dead letters with the worker's envelope.
///
/// Nothing lost: a raw record's offset is stored only once every event it produced (or its dead letter) was
/// acknowledged by the broker. Events are handed to the producer in raw order and acknowledged concurrently;
/// one task waits for the acknowledgements in the same order and finishes the records. After a crash the records
/// since the last commit are read and written again: their events carry their raw origin in headers, so a reader
/// can recognise the copies.
///
/// Bounded: at most `maxInFlightEvents` events wait for their acknowledgement; past that the intake pauses its
/// partitions (``SourceIntake``).
public final class NormalizeStage<Source: MessageSource>: Sendable {
    /// One raw record on its way: its events handed over, their acknowledgements pending.
    private struct Handed: Sendable {
        var message: SourceMessage
        var ticket: OffsetTicket
        var permits: Int
        var receipts: [SinkReceipt]
        /// The dead letter, for a record that was rejected (or whose events the sink refused).
        var letter: DeadLetterPublisher.Pending?
    }

    private let intake: SourceIntake<Source>
    private let normalizing: MessageNormalizer
    private let events: any EventSink
    private let deadLetters: DeadLetterPublisher
    private let configuration: PipelineConfiguration
    private let repeats: EventRepeatFilter
    private let instruments: PipelineInstruments
    private let clock: any PipelineClock
    private let logger: Logger
    private let intakeTask = Mutex<Task<Void, any Error>?>(nil)
    private let stopRequested = Mutex(false)

    /// Creates the stage; nothing happens until ``run()``.
    /// - Parameter skipRepeatsFor: an event identical to the last one written for its key within this long is not
    ///   written again (zero writes every one); default `configuration.skipRepeatsFor`.
    public init(
        source: Source,
        normalizer: Normalizer,
        events: any EventSink,
        deadLetters: any DeadLetterSink,
        configuration: PipelineConfiguration,
        skipRepeatsFor: Duration? = nil,
        instruments: PipelineInstruments,
        clock: any PipelineClock,
        logger: Logger
    ) {
        intake = SourceIntake(
            source: source,
            maxInFlight: configuration.maxInFlightEvents,
            pauseAfter: configuration.pauseAfter,
            clock: clock,
            instruments: instruments,
            logger: logger
        )
        normalizing = MessageNormalizer(
            normalizer: normalizer,
            repeats: RepeatMemo(budgetBytes: configuration.repeatMemoBytes),
            configuration: configuration,
            instruments: instruments,
            clock: clock
        )
        self.events = events
        self.deadLetters = DeadLetterPublisher(
            sink: deadLetters,
            clock: clock,
            instruments: instruments,
            logger: logger,
            workerVersion: configuration.workerVersion,
            maxReplays: configuration.maxReplays
        )
        self.configuration = configuration
        repeats = EventRepeatFilter(window: skipRepeatsFor ?? configuration.skipRepeatsFor)
        self.instruments = instruments
        self.clock = clock
        self.logger = logger
    }

    /// What the stage holds and what holds it back, for `/readyz`.
    public var progress: RunnerProgress {
        let held = intake.holdings
        return RunnerProgress(
            assigned: held.assigned,
            unassignedSince: held.emptySince,
            oldest: held.oldest,
            restoring: false
        )
    }

    /// Events waiting for their acknowledgement.
    public var inFlightEvents: Int { intake.permits.inUse }

    /// Stops intake and drains, as a graceful shutdown does.
    public func stop() {
        stopRequested.withLock { $0 = true }
        intakeTask.withLock { $0 }?.cancel()
    }

    /// Runs until the source ends, ``stop()`` is called, the service group shuts down, or the task is cancelled;
    /// then waits up to `drainTimeout` for acknowledgements, commits what is finished and closes the source.
    public func run() async throws {
        let (handed, handing) = AsyncStream.makeStream(of: Handed.self)
        let acknowledger = Task { await self.acknowledge(handed) }
        let intake = Task {
            try await self.intake.run { message, ticket in
                handing.yield(await self.hand(message, ticket))
            }
        }
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
        let drained = await self.intake.drain(timeout: configuration.drainTimeout, unit: "events")
        handing.finish()
        if !drained { acknowledger.cancel() }
        await acknowledger.value
        try await self.intake.close()
        if case .failure(let error) = intakeResult, !(error is CancellationError) { throw error }
    }

    /// Normalizes one raw record and hands its events (or its dead letter) over, in raw order.
    private func hand(_ message: SourceMessage, _ ticket: OffsetTicket) async -> Handed {
        let normalized: [NormalizedEvent]
        switch normalizing.events(of: message) {
        case .events(let events):
            normalized = events
        case .rejected(let failure):
            let letter = await deadLetters.hand(message, failure)
            return Handed(message: message, ticket: ticket, permits: 1, receipts: [], letter: letter)
        }
        let permits = min(max(normalized.count, 1), intake.permits.capacity)
        intake.permits.forceAcquire(permits - 1)
        instruments.began(inFlight: intake.permits.inUse)
        let grouping = configuration.groupings[message.originTopic]
        let now = clock.now()
        var receipts: [SinkReceipt] = []
        var skipped = 0
        for (index, event) in normalized.enumerated() {
            let manual = ManualChange.isManual(event)
            let key = manual ? event.dedupKey : grouping?.groupKey(for: event) ?? event.dedupKey
            if !manual, repeats.isRepeat(key: key, event: event, at: now) {
                skipped += 1
                continue
            }
            let record = EventRecord(event, index: index, of: message, key: key)
            do {
                receipts.append(try await events.send(record))
            } catch {
                // Refused at once (too large for the producer, closed): the record never arrives, so the raw
                // record goes to the dead-letter topic instead, and its other events are not written either.
                let failure = InFlightMessage.Failure(
                    stage: .normalize,
                    reason: "event_not_written",
                    message: "event \(index) (\(event.dedupKey)) was refused by \(events.destination): \(error)",
                    dedupKey: event.dedupKey,
                    firstFailureAt: now,
                    lastFailureAt: now
                )
                let letter = await deadLetters.hand(message, failure)
                return Handed(message: message, ticket: ticket, permits: permits, receipts: receipts, letter: letter)
            }
        }
        instruments.eventsWritten(receipts.count, skipped: skipped, topic: events.destination)
        return Handed(message: message, ticket: ticket, permits: permits, receipts: receipts, letter: nil)
    }

    /// Waits for each record's acknowledgements in raw order, then finishes it; a record whose event the broker
    /// refused is dead-lettered.
    private func acknowledge(_ handed: AsyncStream<Handed>) async {
        for await record in handed {
            var letter = record.letter
            for receipt in record.receipts {
                do {
                    try await receipt.acknowledged()
                } catch {
                    if Task.isCancelled { break }
                    guard letter == nil else { continue }
                    let now = clock.now()
                    let failure = InFlightMessage.Failure(
                        stage: .normalize,
                        reason: "event_not_written",
                        message: "\(events.destination) did not take an event of this record: \(error)",
                        firstFailureAt: now,
                        lastFailureAt: now
                    )
                    letter = await deadLetters.hand(record.message, failure)
                }
            }
            if Task.isCancelled {
                intake.release(record.permits)
                continue
            }
            if let letter, await deadLetters.complete(letter) == nil {
                intake.release(record.permits)
                continue
            }
            instruments.replayedLetterFinished(record.message, outcome: letter == nil ? "forwarded" : "dead_lettered")
            intake.finish(record.ticket, permits: record.permits)
        }
    }
}

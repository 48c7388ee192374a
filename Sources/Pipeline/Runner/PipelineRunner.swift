import IncidentAPI
public import Logging
public import Normalizer
import ServiceLifecycle
import Synchronization

// The lane and deferral types live outside the generic runner: nested in it, every yield and lookup would
// instantiate their generic metadata at run time (the runner is used from other modules, unspecialized).

/// What a lane works on.
private enum LaneItem: Sendable {
    /// An event to correlate and deliver; `member` is the alert's own key when its dedup key is a group's.
    case event(NormalizedEvent, InFlightMessage, member: String?)
    /// The minimum update interval of this key has passed: send its deferred update.
    case flush(String)
}

/// An update held back by the per-key minimum update interval; a newer event for the key replaces or drops it.
private struct Deferred: Sendable {
    var command: IncidentCommand
    var owner: InFlightMessage
    var due: Timestamp
}

/// Runs messages from a source through normalize → correlate → deliver, dead-letters what cannot be delivered,
/// and moves offsets only past messages with a final outcome.
///
/// Concurrency: one intake loop; `lanes` workers, each handling the events whose dedup key hashes to it, in order;
/// dead letters published concurrently. At most `maxInFlightEvents` events are in flight (a message whose events
/// do not fit is admitted whole, so the bound can be passed by one message's events).
///
/// Backpressure: when in-flight work is full, the intake waits up to `pauseAfter` for room (a busy target); if the
/// stall lasts longer (a throttled or down target), it parks the message in hand, pauses every assigned partition
/// and keeps polling the source, so the consumer stays in its group and no rebalance happens; when work finishes it
/// admits the parked messages and resumes. Memory stays bounded by the
/// in-flight limit however long the target is away.
///
/// Crash-safe creates: a create's intent is stored before the call and its id after it. At start, intents left by
/// a crash are looked up at the target (where it can), and a key with an unsettled intent is settled before any
/// new create for it (``Correlator/reconcile(_:as:externalID:at:)``).
///
/// Shutdown (graceful shutdown of the service group, ``stop()``, or cancellation): stop intake, let in-flight work
/// finish within `drainTimeout`, leave the rest uncommitted for redelivery, commit, close the source.
public final class PipelineRunner<Source: MessageSource>: Sendable {

    private let intake: SourceIntake<Source>
    private let correlator: Correlator
    private let deliverer: Deliverer
    /// With partitioned state: holds calls after the process stood still.
    private let freezes: FreezeGuard?
    private let deadLetters: DeadLetterPublisher
    private let configuration: PipelineConfiguration
    private let instruments: PipelineInstruments
    private let clock: any PipelineClock
    private let logger: Logger
    private let observer: (any PipelineObserver)?
    /// In-flight work, held by the intake.
    private var permits: AsyncSemaphore { intake.permits }
    private let intakeTask = Mutex<Task<Void, any Error>?>(nil)
    private let stopRequested = Mutex(false)
    private let intents: IntentSettler
    /// The safety net for lost state, when configured and the target can look incidents up.
    private let unknownKeys: UnknownKeyLookup?
    private let sender: CommandSender
    private let deferred = Mutex<[String: Deferred]>([:])
    private let storms: StormIncidents?
    /// Events per dedup key queued in or being handled by a lane.
    private let busyKeys = Mutex<[String: Int]>([:])
    private let laneInputs = Mutex<[AsyncStream<LaneItem>.Continuation]>([])
    /// What reads the events of a message: the normalizer with the repeat memory, or the event-record reader.
    private let normalizing: any MessageReader

    /// What the runner's source carries.
    public enum Input: Sendable {
        /// Raw records from senders, read by the normalizer.
        case raw
        /// Records of the events topic (``EventRecord``), read back from their JSON: the delivery stage.
        case eventRecords
    }

    /// Restores and gives up state by events partition, when the state is partitioned.
    private let ownership: StateOwnership?

    /// Creates a runner; nothing happens until ``run()``.
    /// - Parameters:
    ///   - input: raw records (default) or event records.
    ///   - partitionedState: the store behind `correlator` when state is owned by events partition: its
    ///     partitions are restored on assignment before their events are read, and given up on revocation.
    ///   - observer: told about every decision and final outcome (replay's reports); `nil` for the worker.
    public init(
        source: Source,
        input: Input = .raw,
        partitionedState: PartitionedStateStore? = nil,
        normalizer: Normalizer,
        correlator: Correlator,
        deliverer: Deliverer,
        deadLetters: any DeadLetterSink,
        configuration: PipelineConfiguration,
        instruments: PipelineInstruments,
        clock: any PipelineClock,
        logger: Logger,
        observer: (any PipelineObserver)? = nil
    ) {
        self.observer = observer
        var deliverer = deliverer
        if let partitionedState {
            // Every call, after its turn at the rate limit and before it goes out: still this worker's partition,
            // and not just woken from a freeze that may have cost it.
            let freezes = FreezeGuard(settings: .init(freezeLimit: configuration.freezeLimit)) { gap in
                logger.warning(
                    """
                    this process stood still for \(gap) (stopped or stalled): calls to the target wait for the group \
                    to say whether its partitions are still this worker's
                    """
                )
            }
            self.freezes = freezes
            deliverer.beforeCall = { key in
                try partitionedState.requireOwned(key)
                guard !freezes.mayCall() else { return }
                try await freezes.waitUntilCallsMayGo { try partitionedState.requireOwned(key) }
            }
        } else {
            freezes = nil
        }
        let intents = IntentSettler(
            correlator: correlator,
            deliverer: deliverer,
            instruments: instruments,
            clock: clock,
            logger: logger
        )
        self.intents = intents
        unknownKeys =
            UnknownKeyLookup.isUsable(configured: configuration.lookupUnknownKeys, target: deliverer.target)
            ? UnknownKeyLookup(
                correlator: correlator,
                deliverer: deliverer,
                instruments: instruments,
                clock: clock,
                logger: logger
            ) : nil
        let stormGuard = configuration.stormGuard.isEnabled ? StormGuard(settings: configuration.stormGuard) : nil
        let ownership = partitionedState.map {
            StateOwnership(
                store: $0,
                intents: intents,
                gate: deliverer.gate,
                stormGuard: stormGuard,
                instruments: instruments,
                logger: logger
            )
        }
        self.ownership = ownership
        intake = SourceIntake(
            source: source,
            maxInFlight: configuration.maxInFlightEvents,
            pauseAfter: configuration.pauseAfter,
            clock: clock,
            instruments: instruments,
            logger: logger,
            ownership: ownership
        )
        self.correlator = correlator
        self.deliverer = deliverer
        self.deadLetters = DeadLetterPublisher(
            sink: deadLetters,
            clock: clock,
            instruments: instruments,
            logger: logger,
            workerVersion: configuration.workerVersion,
            maxReplays: configuration.maxReplays
        )
        self.configuration = configuration
        self.instruments = instruments
        self.clock = clock
        self.logger = logger
        sender = CommandSender(correlator: correlator, deliverer: deliverer, instruments: instruments, clock: clock)
        normalizing =
            switch input {
            case .raw:
                MessageNormalizer(
                    normalizer: normalizer,
                    repeats: RepeatMemo(budgetBytes: configuration.repeatMemoBytes),
                    configuration: configuration,
                    instruments: instruments,
                    clock: clock
                )
            case .eventRecords: EventRecordReader(instruments: instruments, clock: clock)
            }
        let sender = sender
        storms = stormGuard.map {
            StormIncidents(
                stormGuard: $0,
                correlator: correlator,
                deliverer: deliverer,
                sender: sender,
                intents: intents,
                instruments: instruments,
                clock: clock,
                logger: logger,
                observer: observer
            )
        }
    }

    /// Events currently in flight.
    public var inFlightEvents: Int { permits.inUse }

    /// What the runner holds and what holds it back, for `/readyz`.
    public var progress: RunnerProgress {
        let held = intake.holdings
        return RunnerProgress(
            assigned: held.assigned,
            unassignedSince: held.emptySince,
            oldest: held.oldest,
            restoring: intents.isRestoring || ownership?.isRestoring == true
        )
    }

    /// When the target stopped answering, if it has (for `/readyz`).
    public var targetFailingSince: Timestamp? { deliverer.health.failingSince }

    /// Dedup keys whose create was interrupted by a crash and is not settled yet (for `/readyz`).
    public var unsettledIntents: [String] { intents.unsettled }

    /// Settles creates a crash interrupted, before intake starts (``run()`` does this first).
    public func reconcilePendingIntents() async { await intents.reconcileAtStart() }

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
        self.laneInputs.withLock { $0 = laneInputs }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in lanes {
                group.addTask {
                    for await item in lane.stream { await self.process(item, completions: completionInput) }
                }
            }
            group.addTask { await self.handleCompletions(completions.stream) }

            freezes?.start()
            defer { freezes?.stop() }
            let ticker = Task {
                await withTaskGroup(of: Void.self) { tickers in
                    if let storms = self.storms { tickers.addTask { await storms.run() } }
                    tickers.addTask { await self.logSummaryTicker() }
                    if let ownership = self.ownership { tickers.addTask { await self.progressTicker(ownership) } }
                }
            }
            let intake = Task {
                await self.intents.reconcileAtStart()
                try await self.intake.run { message, ticket in
                    self.admit(message, ticket, lanes: laneInputs, completions: completionInput)
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

            ticker.cancel()
            await ticker.value
            abandonDeferred(completions: completionInput)
            let drained = await self.intake.drain(timeout: configuration.drainTimeout, unit: "events")
            for lane in laneInputs { lane.finish() }
            completionInput.finish()
            if !drained { group.cancelAll() }
            try await group.waitForAll()

            try await self.intake.close()
            if case .failure(let error) = intakeResult, !(error is CancellationError) { throw error }
        }
    }

    /// Normalizes one message and hands its events to their lanes (or its rejection to the completion handler).
    private func admit(
        _ message: SourceMessage,
        _ ticket: OffsetTicket,
        lanes: [AsyncStream<LaneItem>.Continuation],
        completions: AsyncStream<InFlightMessage>.Continuation
    ) {
        let events: [NormalizedEvent]
        switch normalizing.events(of: message) {
        case .events(let normalized):
            events = normalized
        case .rejected(let failure):
            completions.yield(
                InFlightMessage(message: message, ticket: ticket, permits: 1, events: 0, failure: failure)
            )
            return
        }
        // The storm's fast path: a repeat of an open incident's state, for a key with nothing in flight, is
        // suppressed here, without a trip through its lane.
        let grouping = configuration.groupings[message.originTopic]
        var laneEvents: [(event: NormalizedEvent, member: String?)] = []
        for event in events {
            if ManualChange.isManual(event) {
                laneEvents.append((event, nil))
            } else if let grouping {
                var grouped = event
                grouped.dedupKey = grouping.groupKey(for: event)
                laneEvents.append((grouped, event.dedupKey))
            } else if !suppressedInPlace(event, at: message.position) {
                laneEvents.append((event, nil))
            }
        }
        let needed = min(max(laneEvents.count, 1), permits.capacity)
        permits.forceAcquire(needed - 1)
        instruments.began(inFlight: permits.inUse)
        let owner = InFlightMessage(message: message, ticket: ticket, permits: needed, events: laneEvents.count)
        guard !laneEvents.isEmpty else {
            finish(owner)
            return
        }
        busyKeys.withLock { busy in
            for item in laneEvents { busy[item.event.dedupKey, default: 0] += 1 }
        }
        for item in laneEvents {
            lanes[Self.lane(for: item.event.dedupKey, count: lanes.count)]
                .yield(.event(item.event, owner, member: item.member))
        }
    }

    /// Suppresses `event` at once when its key has nothing in flight and the cached record shows it changes
    /// nothing; the same rules as the lane, so the outcome is the same, only cheaper.
    private func suppressedInPlace(_ event: NormalizedEvent, at position: MessagePosition) -> Bool {
        guard busyKeys.withLock({ $0[event.dedupKey] == nil }),
            deferred.withLock({ $0[event.dedupKey] == nil }),
            let record = correlator.cachedRecord(for: event.dedupKey), record.pending == nil
        else { return false }
        let decision = correlator.decide(event, record: record, position: position, now: clock.now())
        guard case .suppress = decision else { return false }
        instruments.decided(decision, for: event)
        observer?.decided(decision, for: event, of: position)
        return true
    }

    private func process(_ item: LaneItem, completions: AsyncStream<InFlightMessage>.Continuation) async {
        switch item {
        case .event(let event, let owner, let member):
            await handle(event, owner: owner, member: member, completions: completions)
            busyKeys.withLock { busy in
                let left = (busy[event.dedupKey] ?? 1) - 1
                busy[event.dedupKey] = left > 0 ? left : nil
            }
        case .flush(let key):
            // Busy before the held update leaves the table, so the intake's fast path never sees the key idle
            // while its update is in flight.
            busyKeys.withLock { $0[key, default: 0] += 1 }
            defer {
                busyKeys.withLock { busy in
                    let left = (busy[key] ?? 1) - 1
                    busy[key] = left > 0 ? left : nil
                }
            }
            guard let held = deferred.withLock({ $0.removeValue(forKey: key) }) else { return }
            decided(.send(held.command), for: held.command.event, owner: held.owner)
            await sender.deliver(held.command, owner: held.owner)
            if held.owner.eventFinished() { completions.yield(held.owner) }
        }
    }

    /// Correlates and delivers one event; the last event of a message hands it to the completion handler.
    private func handle(
        _ event: NormalizedEvent,
        owner: InFlightMessage,
        member: String?,
        completions: AsyncStream<InFlightMessage>.Continuation
    ) async {
        let origin = owner.message.position.description
        var event = event
        let grouping = member == nil ? nil : configuration.groupings[owner.message.originTopic]
        if let change = ManualChange(event: event) {
            await apply(change, owner: owner, origin: origin, completions: completions)
            return
        }
        do {
            var record = try await correlator.record(for: event.dedupKey)
            if let pendingRecord = record, pendingRecord.pending != nil {
                record = try await intents.settle(pendingRecord)
            } else if record == nil, let unknownKeys, deferred.withLock({ $0[event.dedupKey] == nil }) {
                // No state at all for the key (not even a resolved record): an incident opened before the state
                // was lost is found and adopted, so this event updates or resolves it instead of creating a second
                // one or being ignored. A key with a held-back create (a group's wait) was looked up already.
                record = try await unknownKeys.check(event.dedupKey, origin: origin)
            }
            if let grouping, let member {
                event = try await correlator.aggregate(event, memberKey: member, grouping: grouping, at: clock.now())
            }
            var decision = correlator.decide(
                event,
                record: record,
                position: owner.message.position,
                now: clock.now()
            )
            if !decision.isStale, let superseded = deferred.withLock({ $0[event.dedupKey] }) {
                // A newer event for a key with a held-back update (or a group's held-back create): the newest wins.
                if case .send(let command) = decision, command.action == superseded.command.action {
                    deferred.withLock {
                        $0[event.dedupKey] = Deferred(command: command, owner: owner, due: superseded.due)
                    }
                    coalesced(superseded, completions: completions)
                    return
                }
                deferred.withLock { _ = $0.removeValue(forKey: event.dedupKey) }
                coalesced(superseded, completions: completions)
            } else if case .send(let command) = decision, command.action == .create, let grouping,
                grouping.wait > .zero
            {
                // A new group: wait for the members arriving with it, so they open one incident together.
                let due = clock.now().advanced(by: grouping.wait)
                deferred.withLock { $0[event.dedupKey] = Deferred(command: command, owner: owner, due: due) }
                scheduleFlush(event.dedupKey, at: due)
                return
            } else if case .send(let command) = decision, command.action == .update,
                let due = updateDue(record), clock.now() < due
            {
                deferred.withLock { $0[event.dedupKey] = Deferred(command: command, owner: owner, due: due) }
                scheduleFlush(event.dedupKey, at: due)
                return
            }
            var storm: StormGuard.Storm?
            if case .send(let command) = decision, command.action == .create, let stormGuard = storms?.stormGuard,
                !stormGuard.admitCreate(event, at: clock.now())
            {
                storm = stormGuard.fold(event, at: clock.now())
                decision = .fold(
                    reason:
                        "more than \(stormGuard.limit) new problems a minute from \(event.source)"
                )
            }
            decided(decision, for: event, owner: owner)
            switch decision {
            case .suppress:
                break
            case .ignore, .stale, .fold:
                try await correlator.audit(
                    decision,
                    for: event,
                    at: clock.now(),
                    origin: origin,
                    position: owner.message.position
                )
            case .send(let command):
                await sender.deliver(command, owner: owner)
                if grouping != nil, command.action == .resolve,
                    try await correlator.record(for: event.dedupKey)?.status == .resolved
                {
                    try await correlator.groupResolved(event.dedupKey)
                }
            }
            if let storm { try await storms?.openAggregate(for: storm, owner: owner) }
        } catch let error as any FailedLookup {
            failLookup(owner, error, dedupKey: event.dedupKey)
        } catch is CancellationError {
            owner.abandon()
        } catch {
            sender.failStateStore(owner, key: event.dedupKey, error: error)
        }
        if owner.eventFinished() { completions.yield(owner) }
    }

    /// Applies a person's change (``ManualChange``) to its key, after dropping an update held back for the key.
    private func apply(
        _ change: ManualChange,
        owner: InFlightMessage,
        origin: String,
        completions: AsyncStream<InFlightMessage>.Continuation
    ) async {
        if let held = deferred.withLock({ $0.removeValue(forKey: change.dedupKey) }) {
            coalesced(held, completions: completions)
        }
        do {
            let entry = try await correlator.apply(change, at: clock.now(), origin: origin)
            logger.notice(
                "\(change.action.rawValue) by hand for \(change.dedupKey): \(entry.decision), \(entry.reason)"
            )
        } catch is CancellationError {
            owner.abandon()
        } catch {
            sender.failStateStore(owner, key: change.dedupKey, error: error)
        }
        if owner.eventFinished() { completions.yield(owner) }
    }

    /// Every second: a progress mark in the changelog for each owned partition whose stored position moved, so a
    /// restore reads from where the state left off (the group's committed offset is not trusted: a fenced owner may
    /// have moved it).
    private func progressTicker(_ ownership: StateOwnership) async {
        var marked: [PartitionID: Int64] = [:]
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(1))
            } catch {
                break
            }
            await ownership.markProgress(intake.storedPositions, since: &marked)
        }
        await ownership.markProgress(intake.storedPositions, since: &marked)
    }

    /// Every 10 s: the summary of log lines held back in the interval that ended. Real time, not the injected
    /// clock: it only paces log output, and a test clock that jumps on every sleep would spin here.
    private func logSummaryTicker() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(10))
            } catch {
                break
            }
            instruments.flushLogSummaries(at: clock.now())
        }
        instruments.flushLogSummaries(at: clock.now(), force: true)
    }

    /// Dead-letters `owner` after a lookup at the target (a pending intent's, or a key's with no state) kept failing.
    private func failLookup(_ owner: InFlightMessage, _ error: any FailedLookup, dedupKey: String) {
        owner.fail(
            .init(
                stage: .deliver,
                reason: error.failure.code.rawValue,
                message: error.description,
                target: deliverer.target.name,
                httpStatus: error.failure.httpStatus,
                responseExcerpt: error.failure.responseExcerpt,
                attempts: error.attempts,
                dedupKey: dedupKey,
                firstFailureAt: error.firstFailureAt,
                lastFailureAt: error.lastFailureAt
            )
        )
    }

    /// Counts a decision and tells the observer.
    private func decided(_ decision: Correlator.Decision, for event: NormalizedEvent, owner: InFlightMessage) {
        instruments.decided(decision, for: event)
        observer?.decided(decision, for: event, of: owner.message.position)
    }

    /// When the next update of a key may be sent, with a minimum update interval configured.
    private func updateDue(_ record: IncidentRecord?) -> Timestamp? {
        guard configuration.minUpdateInterval > .zero, let last = record?.updatedAt else { return nil }
        return last.advanced(by: configuration.minUpdateInterval)
    }

    private func scheduleFlush(_ key: String, at due: Timestamp) {
        let clock = clock
        let lane = laneInputs.withLock { $0.isEmpty ? nil : $0[Self.lane(for: key, count: $0.count)] }
        Task {
            let wait = due.duration(since: clock.now())
            if wait > .zero { try? await clock.sleep(for: wait) }
            lane?.yield(.flush(key))
        }
    }

    /// A held-back update replaced by a newer event: its message is done, as a suppression.
    private func coalesced(_ held: Deferred, completions: AsyncStream<InFlightMessage>.Continuation) {
        decided(
            .suppress(reason: "coalesced: a newer event for the key arrived within the minimum update interval"),
            for: held.command.event,
            owner: held.owner
        )
        if held.owner.eventFinished() { completions.yield(held.owner) }
    }

    /// Shutdown: held-back updates are not sent; their messages stay uncommitted and are redelivered.
    private func abandonDeferred(completions: AsyncStream<InFlightMessage>.Continuation) {
        let held = deferred.withLock { deferred in
            defer { deferred.removeAll() }
            return Array(deferred.values)
        }
        for item in held {
            item.owner.abandon()
            if item.owner.eventFinished() { completions.yield(item.owner) }
        }
    }

    private func handleCompletions(_ stream: AsyncStream<InFlightMessage>) async {
        await withTaskGroup(of: Void.self) { group in
            for await owner in stream {
                if owner.isAbandoned {
                    instruments.abandoned(owner.message)
                    observer?.finished(owner.message, outcome: .abandoned)
                    intake.release(owner.permits)
                } else if let failure = owner.failure {
                    // Handed over here, in completion order (a key's letters in its lane's order), and
                    // acknowledged concurrently.
                    let pending = await deadLetters.hand(owner.message, failure)
                    group.addTask { await self.deadLetter(owner, pending) }
                } else {
                    finish(owner)
                }
            }
        }
    }

    /// Waits for the dead letter's acknowledgement; only then does the offset move.
    private func deadLetter(_ owner: InFlightMessage, _ pending: DeadLetterPublisher.Pending) async {
        guard let letter = await deadLetters.complete(pending) else {
            instruments.abandoned(owner.message)
            observer?.finished(owner.message, outcome: .abandoned)
            intake.release(owner.permits)
            return
        }
        finish(owner, outcome: .deadLettered(letter))
    }

    /// Records the final outcome and stores the new committable offset, if it advanced.
    private func finish(_ owner: InFlightMessage, outcome: MessageOutcome = .completed) {
        observer?.finished(owner.message, outcome: outcome)
        if case .deadLettered = outcome {
            instruments.replayedLetterFinished(owner.message, outcome: "dead_lettered")
        } else {
            instruments.replayedLetterFinished(owner.message, outcome: "settled")
        }
        intake.finish(owner.ticket, permits: owner.permits)
    }

    /// The lane of a dedup key: FNV-1a, so the mapping is stable across runs.
    static func lane(for key: String, count: Int) -> Int {
        Int(FNV1a.hash(key) % UInt64(count))
    }
}

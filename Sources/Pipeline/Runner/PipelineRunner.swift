import DequeModule
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

    private let source: Source
    private let normalizer: Normalizer
    private let correlator: Correlator
    private let deliverer: Deliverer
    private let deadLetters: any DeadLetterSink
    private let configuration: PipelineConfiguration
    private let instruments: PipelineInstruments
    private let clock: any PipelineClock
    private let logger: Logger
    private let observer: (any PipelineObserver)?
    private let ledger = Mutex(OffsetLedger())
    private let permits: AsyncSemaphore
    private let intakeTask = Mutex<Task<Void, any Error>?>(nil)
    private let stopRequested = Mutex(false)
    private let unresolvedIntents = Mutex<Set<String>>([])
    private let deferred = Mutex<[String: Deferred]>([:])
    private let stormGuard: StormGuard?
    private let stormLocks = Mutex<[String: AsyncSemaphore]>([:])
    /// Events per dedup key queued in or being handled by a lane.
    private let busyKeys = Mutex<[String: Int]>([:])
    private let laneInputs = Mutex<[AsyncStream<LaneItem>.Continuation]>([])
    /// Recent payloads' events, for byte-identical repeats.
    private let repeats: RepeatMemo
    /// What the intake holds, for ``progress``.
    private let holdings: Mutex<(assigned: Set<PartitionID>, emptySince: Timestamp?, restoring: Bool)>

    /// When this runner was made: intents older than it were left by an earlier process.
    private let startedAt: Timestamp

    /// Why a key's pending create could not be settled: looking it up kept failing.
    struct PendingIntentUnresolved: Error, CustomStringConvertible {
        var failure: TargetFailure
        var attempts: Int
        var firstFailureAt: Timestamp
        var lastFailureAt: Timestamp
        /// Whether the create was interrupted by a restart (else it failed in this run without a clear answer).
        var fromEarlierRun: Bool
        var target: String

        var description: String {
            let create =
                fromEarlierRun
                ? "a create interrupted by a restart"
                : "an earlier create for this key that ended without a clear answer"
            return "\(create) may have reached \(target), and looking it up failed: \(failure)"
        }
    }

    /// Creates a runner; nothing happens until ``run()``.
    /// - Parameter observer: told about every decision and final outcome (replay's reports); `nil` for the worker.
    public init(
        source: Source,
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
        self.source = source
        self.normalizer = normalizer
        self.correlator = correlator
        self.deliverer = deliverer
        self.deadLetters = deadLetters
        self.configuration = configuration
        self.instruments = instruments
        self.clock = clock
        self.logger = logger
        startedAt = clock.now()
        holdings = Mutex(([], startedAt, false))
        permits = AsyncSemaphore(permits: max(1, configuration.maxInFlightEvents))
        repeats = RepeatMemo(budgetBytes: configuration.repeatMemoBytes)
        stormGuard = configuration.stormGuard.isEnabled ? StormGuard(settings: configuration.stormGuard) : nil
    }

    /// Events currently in flight.
    public var inFlightEvents: Int { permits.inUse }

    /// What the runner holds and what holds it back, for `/readyz`.
    public var progress: RunnerProgress {
        let held = holdings.withLock { $0 }
        let oldest = ledger.withLock { $0.oldestUnfinished }
        return RunnerProgress(
            assigned: held.assigned.sorted(),
            unassignedSince: held.emptySince,
            oldest: oldest.compactMap { entry in
                entry.since.map { RunnerProgress.Oldest(position: entry.position, since: $0) }
            },
            restoring: held.restoring
        )
    }

    /// When the target stopped answering, if it has (for `/readyz`).
    public var targetFailingSince: Timestamp? { deliverer.health.failingSince }

    /// Dedup keys whose create was interrupted by a crash and is not settled yet (for `/readyz`).
    public var unsettledIntents: [String] { unresolvedIntents.withLock { $0.sorted() } }

    /// Settles creates a crash interrupted, before intake starts: each is looked up at the target where it can be;
    /// keys the target cannot look up are reported here and settled when their next event arrives.
    public func reconcilePendingIntents() async {
        let pending: [IncidentRecord]
        do {
            pending = try await correlator.pendingIntents()
        } catch {
            logger.error("could not read pending intents from the state store: \(error)")
            return
        }
        guard !pending.isEmpty else { return }
        holdings.withLock { $0.restoring = true }
        defer { holdings.withLock { $0.restoring = false } }
        unresolvedIntents.withLock { $0.formUnion(pending.map(\.dedupKey)) }
        instruments.pendingIntents(found: pending.count, unresolved: pending.count)
        let target = deliverer.target
        guard target.supportsLookup else {
            let sample = pending.prefix(10).map(\.dedupKey).joined(separator: ", ")
            logger.warning(
                """
                \(pending.count) creates were interrupted by a restart and \(target.name) cannot look incidents up: \
                each key's next create may open a second incident (keys: \(sample)\(pending.count > 10 ? ", …" : ""))
                """
            )
            return
        }
        logger.info("settling \(pending.count) creates interrupted by a restart through \(target.name) lookups")
        for record in pending {
            do {
                _ = try await settle(record, retry: false)
            } catch {
                logger.warning("interrupted create for \(record.dedupKey) not settled yet: \(error)")
            }
        }
    }

    /// Settles one key's pending create (interrupted by a restart, or failed without a clear answer); returns the
    /// record as it now stands.
    /// - Parameter retry: retry a failing lookup like any call (a lane: the key's later messages wait behind it);
    ///   `false` at startup, which must not hold intake back while the target is away.
    /// - Throws: ``PendingIntentUnresolved`` when the lookup kept failing; `CancellationError` on shutdown.
    private func settle(_ record: IncidentRecord, retry: Bool = true) async throws -> IncidentRecord? {
        let outcome: Correlator.Reconciliation
        var externalID: String?
        switch await deliverer.lookup(dedupKey: record.dedupKey, retry: retry) {
        case .found(let id) where record.status == .resolved && id == record.externalID:
            // The earlier, resolved incident of this key: the new create never happened.
            outcome = .notFound
        case .found(let id):
            outcome = .found
            externalID = id
        case .notFound:
            outcome = .notFound
        case .unsupported:
            outcome = .unverifiable
            logger.warning(
                "\(record.dedupKey): a create whose answer was lost cannot be looked up; creating again may duplicate it"
            )
        case .failed(let failure, let attempts, let first, let last):
            throw PendingIntentUnresolved(
                failure: failure,
                attempts: attempts,
                firstFailureAt: first,
                lastFailureAt: last,
                fromEarlierRun: (record.pending?.since ?? startedAt) < startedAt,
                target: deliverer.target.name
            )
        case .abandoned:
            throw CancellationError()
        }
        let settled = try await correlator.reconcile(record, as: outcome, externalID: externalID, at: clock.now())
        let left = unresolvedIntents.withLock { set in
            set.remove(record.dedupKey)
            return set.count
        }
        instruments.pendingIntentResolved(record.dedupKey, outcome: outcome.rawValue, unresolved: left)
        return settled
    }

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

            let ticker = Task {
                await withTaskGroup(of: Void.self) { tickers in
                    tickers.addTask { await self.stormTicker() }
                    tickers.addTask { await self.logSummaryTicker() }
                }
            }
            let intake = Task {
                await self.reconcilePendingIntents()
                try await self.intake(lanes: laneInputs, completions: completionInput)
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
        var assigned: Set<PartitionID> = []
        // Messages taken from the source while in-flight work was full; never begun in the ledger, so nothing at or
        // past them is committed before they are processed (or redelivered after a restart or a revoke).
        var parked: Deque<SourceMessage> = []
        var paused = false
        while let event = try await iterator.next() {
            switch event {
            case .assigned(let partitions):
                ledger.withLock { ledger in
                    for partition in partitions { ledger.track(partition) }
                }
                assigned.formUnion(partitions)
                hold(assigned)
                if paused { pause(partitions) }
                logger.info("assigned \(partitions.map(\.description).joined(separator: ", "))")
            case .revoked(let partitions):
                ledger.withLock { $0.forget(partitions) }
                assigned.subtract(partitions)
                hold(assigned)
                let gone = Set(partitions)
                parked.removeAll { gone.contains($0.position.partition) }
                instruments.revoked(partitions)
                logger.info("revoked \(partitions.map(\.description).joined(separator: ", "))")
            case .message(let message):
                parked.append(message)
            case .idle:
                break
            }
            while let next = parked.first {
                // A short stall (a busy target) is waited out without polling; a longer one pauses the partitions,
                // because resuming costs a refetch (librdkafka 2.0 takes up to a second to resume a partition).
                var admitted = permits.tryAcquire(1)
                if !admitted, !paused { admitted = await waitForRoom() }
                guard admitted else { break }
                parked.removeFirst()
                admit(next, lanes: lanes, completions: completions)
            }
            if !parked.isEmpty, !paused {
                paused = true
                pause(Array(assigned))
                instruments.intakePaused(Array(assigned), inFlight: permits.inUse)
            } else if parked.isEmpty, paused {
                paused = false
                do {
                    try source.resume(Array(assigned))
                } catch {
                    logger.warning("resume failed: \(error)")
                }
                instruments.intakeResumed(Array(assigned))
            }
        }
    }

    /// Records what the intake holds now.
    private func hold(_ assigned: Set<PartitionID>) {
        let now = clock.now()
        holdings.withLock { held in
            held.emptySince = assigned.isEmpty ? (held.emptySince ?? now) : nil
            held.assigned = assigned
        }
    }

    /// Waits up to `pauseAfter` for one permit; `true` when it was taken.
    private func waitForRoom() async -> Bool {
        guard configuration.pauseAfter > .zero else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await self.permits.acquire(1)
                    return true
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: self.configuration.pauseAfter)
                return false
            }
            var acquired = 0
            if let first = await group.next() {
                if first { acquired += 1 }
                group.cancelAll()
            }
            for await late in group where late { acquired += 1 }
            // Both can succeed in a race with the timeout; keep one permit.
            if acquired > 1 { permits.release(acquired - 1) }
            return acquired > 0
        }
    }

    private func pause(_ partitions: [PartitionID]) {
        guard !partitions.isEmpty else { return }
        do {
            try source.pause(partitions)
        } catch {
            logger.warning("pause failed: \(error)")
        }
    }

    /// Normalizes one message and hands its events to their lanes (or its rejection to the completion handler).
    private func admit(
        _ message: SourceMessage,
        lanes: [AsyncStream<LaneItem>.Continuation],
        completions: AsyncStream<InFlightMessage>.Continuation
    ) {
        instruments.consumed(message)
        let now = clock.now()
        let generation = ledger.withLock { ledger in
            let generation = ledger.generation(of: message.position.partition)
            ledger.begin(message.position, generation: generation, since: now)
            return generation
        }
        let events: [NormalizedEvent]
        do {
            let input = message.normalizerInput
            // Payloads the memory would never keep are not hashed either.
            let key =
                repeats.isEnabled && input.payload.count <= RepeatMemo.largestPayload
                ? RepeatMemo.Key(
                    topic: message.originTopic,
                    format: input.header(Normalizer.formatHeader),
                    payload: input.payload
                ) : nil
            if let key, let remembered = repeats.events(for: key) {
                events = remembered
                instruments.repeatedPayload()
            } else {
                let normalization = try normalizer.normalization(
                    of: input,
                    route: configuration.route(for: message.originTopic)
                )
                if let key { repeats.remember(key, normalization) }
                events = normalization.events
            }
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
        // The storm's fast path: a repeat of an open incident's state, for a key with nothing in flight, is
        // suppressed here, without a trip through its lane.
        let grouping = configuration.groupings[message.originTopic]
        var laneEvents: [(event: NormalizedEvent, member: String?)] = []
        for event in events {
            if let grouping {
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
        let owner = InFlightMessage(message: message, generation: generation, permits: needed, events: laneEvents.count)
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
            await deliver(held.command, owner: held.owner)
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
        do {
            var record = try await correlator.record(for: event.dedupKey)
            if let pendingRecord = record, pendingRecord.pending != nil {
                record = try await settle(pendingRecord)
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
            if case .send(let command) = decision, command.action == .create, let stormGuard,
                !stormGuard.admitCreate(event, at: clock.now())
            {
                storm = stormGuard.fold(event, at: clock.now())
                decision = .fold(
                    reason:
                        "more than \(stormGuard.settings.maxNewPerMinute) new problems a minute from \(event.source)"
                )
            }
            decided(decision, for: event, owner: owner)
            switch decision {
            case .suppress:
                break
            case .ignore, .stale, .fold:
                try await correlator.audit(decision, for: event, at: clock.now(), origin: origin)
            case .send(let command):
                await deliver(command, owner: owner)
                if grouping != nil, command.action == .resolve,
                    try await correlator.record(for: event.dedupKey)?.status == .resolved
                {
                    try await correlator.groupResolved(event.dedupKey)
                }
            }
            if let storm { try await openAggregate(for: storm, owner: owner) }
        } catch let error as PendingIntentUnresolved {
            owner.fail(
                .init(
                    stage: .deliver,
                    reason: error.failure.code.rawValue,
                    message: error.description,
                    target: deliverer.target.name,
                    httpStatus: error.failure.httpStatus,
                    responseExcerpt: error.failure.responseExcerpt,
                    attempts: error.attempts,
                    dedupKey: event.dedupKey,
                    firstFailureAt: error.firstFailureAt,
                    lastFailureAt: error.lastFailureAt
                )
            )
        } catch is CancellationError {
            owner.abandon()
        } catch {
            failStateStore(owner, key: event.dedupKey, error: error)
        }
        if owner.eventFinished() { completions.yield(owner) }
    }

    /// Makes sure the storm's aggregate incident is open: created (or reopened) with the first folded problem, under
    /// the source's lock, through the same intent-bracketed path as any create. If that fails, the folded message
    /// is dead-lettered with the failure, so no problem is lost without a trace.
    private func openAggregate(for storm: StormGuard.Storm, owner: InFlightMessage) async throws {
        let lock = stormLock(storm.source)
        try await lock.acquire(1)
        defer { lock.release(1) }
        var record = try await correlator.record(for: StormGuard.aggregateKey(for: storm.source))
        if let pendingRecord = record, pendingRecord.pending != nil { record = try await settle(pendingRecord) }
        guard record?.isOpen != true, let stormGuard else { return }
        let aggregate = StormGuard.aggregateEvent(storm, limit: stormGuard.settings.maxNewPerMinute)
        let decision = correlator.decide(aggregate, record: record, now: clock.now())
        guard case .send(let command) = decision else { return }
        decided(decision, for: aggregate, owner: owner)
        logger.warning(
            "alert storm from \(storm.source): new problems are folded into one incident (\(command.action.rawValue))"
        )
        try await send(command, owner: owner, origin: owner.message.position.description)
    }

    private func stormLock(_ source: String) -> AsyncSemaphore {
        stormLocks.withLock { locks in
            if let lock = locks[source] { return lock }
            let lock = AsyncSemaphore(permits: 1)
            locks[source] = lock
            return lock
        }
    }

    /// Every `update_interval`: brings each storm's aggregate incident up to date, and resolves it once the source
    /// has been quiet for `quiet_period`.
    private func stormTicker() async {
        guard let stormGuard else { return }
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: stormGuard.settings.updateInterval)
            } catch {
                return
            }
            for storm in stormGuard.storms { await tick(storm, guard: stormGuard) }
        }
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

    private func tick(_ storm: StormGuard.Storm, guard stormGuard: StormGuard) async {
        let lock = stormLock(storm.source)
        guard (try? await lock.acquire(1)) != nil else { return }
        defer { lock.release(1) }
        let now = clock.now()
        let quiet = storm.lastFoldAt.advanced(by: stormGuard.settings.quietPeriod) <= now
        let aggregate = StormGuard.aggregateEvent(
            storm,
            limit: stormGuard.settings.maxNewPerMinute,
            resolvedAt: quiet ? now : nil
        )
        do {
            let record = try await correlator.record(for: aggregate.dedupKey)
            guard record?.isOpen == true else {
                if quiet { stormGuard.end(storm.source) }
                return
            }
            let decision = correlator.decide(aggregate, record: record, now: now)
            if case .send(let command) = decision {
                instruments.decided(decision, for: aggregate)
                switch await deliverer.deliver(command) {
                case .delivered(let externalID, _):
                    try await correlator.applied(command, externalID: externalID ?? command.externalID, at: clock.now())
                    instruments.applied(command)
                case .failed(let failure, _, _, _):
                    logger.warning("storm incident of \(storm.source): \(command.action.rawValue) failed: \(failure)")
                    return
                case .abandoned:
                    return
                }
            }
            if quiet {
                stormGuard.end(storm.source)
                logger.info("alert storm from \(storm.source) is over: \(storm.folded) problems were folded")
            }
        } catch {
            logger.warning("storm incident of \(storm.source): \(error)")
        }
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

    /// Delivers one command for `owner`, recording a state-store failure as its dead letter.
    private func deliver(_ command: IncidentCommand, owner: InFlightMessage) async {
        do {
            try await send(command, owner: owner, origin: owner.message.position.description)
        } catch {
            failStateStore(owner, key: command.dedupKey, error: error)
        }
    }

    private func failStateStore(_ owner: InFlightMessage, key: String, error: any Error) {
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
    private func send(_ command: IncidentCommand, owner: InFlightMessage, origin: String) async throws {
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

    private func handleCompletions(_ stream: AsyncStream<InFlightMessage>) async {
        await withTaskGroup(of: Void.self) { group in
            for await owner in stream {
                if owner.isAbandoned {
                    instruments.abandoned(owner.message)
                    observer?.finished(owner.message, outcome: .abandoned)
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
            command: failure.command,
            firstFailureAt: failure.firstFailureAt,
            lastFailureAt: failure.lastFailureAt,
            workerVersion: configuration.workerVersion,
            maxReplays: configuration.maxReplays
        )
        var backoff: Duration = .milliseconds(100)
        while true {
            if Task.isCancelled {
                instruments.abandoned(owner.message)
                observer?.finished(owner.message, outcome: .abandoned)
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
        instruments.deadLettered(letter, at: clock.now())
        finish(owner, outcome: .deadLettered(letter))
    }

    /// Records the final outcome and stores the new committable offset, if it advanced.
    private func finish(_ owner: InFlightMessage, outcome: MessageOutcome = .completed) {
        observer?.finished(owner.message, outcome: outcome)
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

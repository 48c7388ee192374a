import IncidentAPI
import Logging
import Normalizer
import Synchronization

/// The storm guard's aggregate incidents: opened with a source's first folded problem, brought up to date every
/// `update_interval`, and resolved once the source has been quiet for `quiet_period`. One lock per source keeps
/// the opening and the updates of one aggregate apart.
final class StormIncidents: Sendable {
    /// The counts of folded problems per source.
    let stormGuard: StormGuard
    private let correlator: Correlator
    private let deliverer: Deliverer
    private let sender: CommandSender
    private let intents: IntentSettler
    private let instruments: PipelineInstruments
    private let clock: any PipelineClock
    private let logger: Logger
    private let observer: (any PipelineObserver)?
    private let stormLocks = Mutex<[String: AsyncSemaphore]>([:])

    init(
        stormGuard: StormGuard,
        correlator: Correlator,
        deliverer: Deliverer,
        sender: CommandSender,
        intents: IntentSettler,
        instruments: PipelineInstruments,
        clock: any PipelineClock,
        logger: Logger,
        observer: (any PipelineObserver)?
    ) {
        self.stormGuard = stormGuard
        self.correlator = correlator
        self.deliverer = deliverer
        self.sender = sender
        self.intents = intents
        self.instruments = instruments
        self.clock = clock
        self.logger = logger
        self.observer = observer
    }

    /// Makes sure the storm's aggregate incident is open: created (or reopened) with the first folded problem, under
    /// the source's lock, through the same intent-bracketed path as any create. If that fails, the folded message
    /// is dead-lettered with the failure, so no problem is lost without a trace.
    func openAggregate(for storm: StormGuard.Storm, owner: InFlightMessage) async throws {
        let lock = stormLock(storm.source)
        try await lock.acquire(1)
        defer { lock.release(1) }
        var record = try await correlator.record(for: StormGuard.aggregateKey(for: storm.source))
        if let pendingRecord = record, pendingRecord.pending != nil { record = try await intents.settle(pendingRecord) }
        guard record?.isOpen != true else { return }
        let aggregate = StormGuard.aggregateEvent(storm, limit: stormGuard.settings.maxNewPerMinute)
        let decision = correlator.decide(aggregate, record: record, now: clock.now())
        guard case .send(let command) = decision else { return }
        instruments.decided(decision, for: aggregate)
        observer?.decided(decision, for: aggregate, of: owner.message.position)
        logger.warning(
            "alert storm from \(storm.source): new problems are folded into one incident (\(command.action.rawValue))"
        )
        try await sender.send(command, owner: owner, origin: owner.message.position.description)
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
    func run() async {
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: stormGuard.settings.updateInterval)
            } catch {
                return
            }
            for storm in stormGuard.storms { await tick(storm) }
        }
    }

    private func tick(_ storm: StormGuard.Storm) async {
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
}

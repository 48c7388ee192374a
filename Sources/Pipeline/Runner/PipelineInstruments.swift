import IncidentAPI
public import Logging
public import Metrics
import Normalizer
import Synchronization

/// Counts of what the pipeline did, for the demo summary, tests and `/readyz` detail.
public struct PipelineStats: Sendable, Hashable {
    /// Messages taken from the source.
    public var messagesConsumed = 0
    /// Of those, byte-identical repeats whose events were remembered (not decoded again).
    public var repeatedPayloads = 0
    /// Messages whose processing finished (delivered, suppressed, ignored or dead-lettered).
    public var messagesFinished = 0
    /// Events the normalizer produced.
    public var events = 0
    /// Incidents created.
    public var created = 0
    /// Incidents updated.
    public var updated = 0
    /// Incidents resolved.
    public var resolved = 0
    /// Comments added.
    public var commented = 0
    /// Resolved incidents opened again within the reopen window.
    public var reopened = 0
    /// Repeats that changed nothing and were not sent.
    public var suppressed = 0
    /// Events that needed nothing (resolved with nothing open).
    public var ignored = 0
    /// Events older than what their incident already shows, dropped.
    public var stale = 0
    /// New problems folded into a storm's aggregate incident.
    public var folded = 0
    /// Creates interrupted by a crash, found again at start: resolved by lookup, or not (the target cannot look up).
    public var pendingIntentsFound = 0
    /// Of those, the ones whose incident the lookup found at the target (no second create).
    public var pendingIntentsRecovered = 0
    /// Of those, the ones the target cannot look up: a create for such a key may open a second incident.
    public var pendingIntentsUnverifiable = 0
    /// Dedup keys with no state looked up at the target before their event was decided (the safety net for lost
    /// state), whatever the lookup found.
    public var unknownKeysLookedUp = 0
    /// Of those, the ones whose incident the lookup found open and the state adopted (no second create).
    public var unknownKeysAdopted = 0
    /// Times intake paused its partitions because in-flight work was full.
    public var pauses = 0
    /// Whether intake is paused right now.
    public var paused = false
    /// Partitions taken away by a rebalance.
    public var revokedPartitions = 0
    /// Retries after a retryable failure.
    public var retries = 0
    /// Dead letters acknowledged by the sink.
    public var deadLetters = 0
    /// Dead letters by stage.
    public var deadLettersByStage: [String: Int] = [:]
    /// Dead letters written cut to fit the dead-letter topic's size limit.
    public var deadLettersCut = 0
    /// Messages left unfinished by shutdown (redelivered after restart).
    public var abandoned = 0
    /// Events the normalize stage wrote to the events topic (acknowledged or not yet).
    public var eventsWritten = 0
    /// Events the normalize stage did not write: the twin of the last one written for their key, within the window.
    public var eventsSkipped = 0

    /// Creates zeroed stats.
    public init() {}
}

/// Pipeline events that write the log line, the metric and the stats together (STYLE.md §21).
///
/// Metric labels come from closed sets: topic, source, decision, target, action, outcome, stage, reason code.
public final class PipelineInstruments: Sendable {
    private let stats = Mutex(PipelineStats())
    private let factory: any MetricsFactory
    private let logger: Logger
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let inFlightGauge: Gauge
    private let pausedGauge: Gauge
    private let pendingGauge: Gauge
    /// `ingestor_decisions_total` per decision, made once: a decision is counted for every event.
    private let decisionCounters: [String: Counter]
    private let repeatCounter: Counter
    /// How many dead-letter lines are written one by one.
    private let letterLogBudget = Mutex(LogBudget(perInterval: 10, interval: .seconds(10)))

    /// Creates instruments writing to `factory`.
    public init(factory: any MetricsFactory, logger: Logger) {
        self.factory = factory
        self.logger = logger
        inFlightGauge = Gauge(label: "ingestor_in_flight_events", dimensions: [], factory: factory)
        pausedGauge = Gauge(label: "ingestor_intake_paused", dimensions: [], factory: factory)
        pendingGauge = Gauge(label: "ingestor_pending_intents", dimensions: [], factory: factory)
        repeatCounter = Counter(label: "ingestor_repeated_payloads_total", dimensions: [], factory: factory)
        decisionCounters = Dictionary(
            uniqueKeysWithValues: [
                "create", "update", "resolve", "comment", "reopen", "suppress", "ignore", "stale", "fold",
            ]
            .map {
                ($0, Counter(label: "ingestor_decisions_total", dimensions: [("decision", $0)], factory: factory))
            }
        )
    }

    /// A copy of the counts so far.
    public var snapshot: PipelineStats { stats.withLock { $0 } }

    private func count(_ label: String, _ dimensions: [(String, String)], by amount: Int = 1) {
        var key = label
        for (name, value) in dimensions {
            key += "|"
            key += name
            key += "="
            key += value
        }
        let counter = counters.withLock { counters in
            if let existing = counters[key] { return existing }
            let created = Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = created
            return created
        }
        counter.increment(by: amount)
    }

    func consumed(_ message: SourceMessage) {
        stats.withLock { $0.messagesConsumed += 1 }
        count("ingestor_messages_consumed_total", [("topic", message.position.partition.topic)])
    }

    func repeatedPayload() {
        stats.withLock { $0.repeatedPayloads += 1 }
        repeatCounter.increment()
    }

    func normalized(_ events: [NormalizedEvent], from message: SourceMessage) {
        stats.withLock { $0.events += events.count }
        if let source = events.first?.source { count("ingestor_events_total", [("source", source)], by: events.count) }
        logger.trace("normalized \(events.count) events", metadata: ["kafka.offset": "\(message.position)"])
    }

    func decided(_ decision: Correlator.Decision, for event: NormalizedEvent) {
        switch decision {
        case .suppress(let reason):
            stats.withLock { $0.suppressed += 1 }
            logger.debug("suppressed \(event.dedupKey): \(reason)")
        case .ignore(let reason):
            stats.withLock { $0.ignored += 1 }
            logger.debug("ignored \(event.dedupKey): \(reason)")
        case .fold(let reason):
            stats.withLock { $0.folded += 1 }
            logger.debug("folded \(event.dedupKey): \(reason)")
        case .stale(let reason):
            stats.withLock { $0.stale += 1 }
            logger.info("stale event for \(event.dedupKey) dropped: \(reason)")
        case .send(let command):
            logger.debug("\(command.action.rawValue) \(event.dedupKey): \(command.reason)")
        }
        if let counter = decisionCounters[decision.name] {
            counter.increment()
        } else {
            count("ingestor_decisions_total", [("decision", decision.name)])
        }
    }

    /// One call to the target ended; `action` is the command's action or `lookup`.
    func delivery(action: String, target: String, outcome: TargetOutcome, duration: Duration) {
        let result = outcome.failure == nil ? "success" : "failure"
        count(
            "ingestor_target_requests_total",
            [("target", target), ("action", action), ("outcome", result)]
        )
        let key = "\(target)|\(action)"
        let timer = timers.withLock { timers in
            if let existing = timers[key] { return existing }
            let created = Metrics.Timer(
                label: "ingestor_target_request_duration_seconds",
                dimensions: [("target", target), ("action", action)],
                factory: factory
            )
            timers[key] = created
            return created
        }
        timer.recordNanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        )
    }

    /// The target stopped answering, or answers again: one log line per change, and `ingestor_target_down`.
    func targetHealth(target: String, _ transition: TargetHealth.Transition, failure: TargetFailure?, at now: Timestamp)
    {
        let gauge = Gauge(label: "ingestor_target_down", dimensions: [("target", target)], factory: factory)
        switch transition {
        case .stoppedAnswering:
            gauge.record(1)
            logger.warning(
                """
                \(target) stopped answering (\(failure?.description ?? "no answer")): messages wait in Kafka and are \
                retried until it answers, for up to pipeline.retry.max_elapsed each
                """,
                metadata: ["incident.adapter": "\(target)"]
            )
        case .answersAgain(let since):
            gauge.record(0)
            logger.warning(
                "\(target) answers again after \(now.duration(since: since)) without an answer",
                metadata: ["incident.adapter": "\(target)"]
            )
        }
    }

    func applied(_ command: IncidentCommand) {
        stats.withLock { stats in
            switch command.action {
            case .create: stats.created += 1
            case .update: stats.updated += 1
            case .resolve: stats.resolved += 1
            case .comment: stats.commented += 1
            case .reopen: stats.reopened += 1
            }
        }
    }

    /// A failed call will be tried again after `delay`; `outage` when no call to the target is answered.
    func retry(action: String, key: String, target: String, failure: TargetFailure, delay: Duration, outage: Bool) {
        stats.withLock { $0.retries += 1 }
        count("ingestor_retries_total", [("target", target), ("reason", failure.code.rawValue)])
        // During an outage every lane's head retries; one line per retry would say the same thing many times.
        let level: Logger.Level = outage ? .debug : .info
        logger.log(
            level: level,
            "retrying \(action) for \(key) in \(delay): \(failure)",
            metadata: ["incident.adapter": "\(target)"]
        )
    }

    /// A dead letter was acknowledged. The first ten per 10 s are logged at warning, the rest at debug, with a
    /// summary by reason once the interval is over (``flushLogSummaries(at:)``).
    func deadLettered(_ letter: DeadLetter, at now: Timestamp) {
        stats.withLock { stats in
            stats.deadLetters += 1
            stats.deadLettersByStage[letter.stage.rawValue, default: 0] += 1
        }
        count("ingestor_dead_letters_total", [("stage", letter.stage.rawValue), ("reason", letter.reason)])
        let admission = letterLogBudget.withLock { $0.admit(letter.reason, at: now) }
        logHeldBack(admission.heldBack)
        logger.log(
            level: admission.write ? .warning : .debug,
            "dead-lettered \(letter.original.position): \(letter.reason): \(letter.message)",
            metadata: ["pipeline.outcome": "dead_letter", "kafka.offset": "\(letter.original.position)"]
        )
    }

    /// Writes the summary of dead letters not logged one by one, once their interval is over (or now, with
    /// `force`).
    func flushLogSummaries(at now: Timestamp, force: Bool = false) {
        logHeldBack(letterLogBudget.withLock { $0.flush(at: now, force: force) })
    }

    private func logHeldBack(_ held: [String: Int]) {
        guard !held.isEmpty else { return }
        let total = held.values.reduce(0, +)
        let reasons = held.sorted { $0.value > $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let interval = letterLogBudget.withLock { $0.interval }
        logger.warning(
            """
            \(total) more dead letters in the last \(interval) were logged at debug only: \(reasons) \
            (ingestor_dead_letters_total and `ingestor dlq stats` count them all)
            """,
            metadata: ["pipeline.outcome": "dead_letter"]
        )
    }

    /// A dead letter had to be cut to fit the dead-letter topic: counted by the limit that refused it, and logged
    /// with where the whole message is.
    func deadLetterCut(_ letter: DeadLetter, cut: DeadLetterCut, topic: String) {
        stats.withLock { $0.deadLettersCut += 1 }
        count("ingestor_dead_letters_cut_total", [("limit", cut.limit.rawValue)])
        let position = letter.original.position
        let kept =
            cut.leaves(.value) ? "the first \(cut.valuePrefix) of \(cut.originalSize) value bytes" : "the whole value"
        logger.warning(
            "dead letter for \(position) cut to fit \(topic) (\(cut.limit.rawValue)): left out \(cut.leftOut.map(\.rawValue).joined(separator: ", ")), kept \(kept); the whole message stays at \(letter.originalLocation), sha256 \(cut.originalSHA256)",
            metadata: ["pipeline.outcome": "dead_letter", "kafka.offset": "\(position)"]
        )
    }

    /// A message that carries `ingestor-dlq-replay-count` (a dead letter replayed onto a topic this stage reads,
    /// or fed by `ingestor replay`) reached its outcome: `ingestor_replayed_letters_total{outcome}`, where the
    /// outcome is `settled` (delivered, suppressed or ignored), `dead_lettered` (it failed again) or, in the
    /// normalize stage, `forwarded` (its events are on the events topic, for the delivery stage to decide).
    func replayedLetterFinished(_ message: SourceMessage, outcome: String) {
        guard message.header(DeadLetter.Field.replayCount.rawValue) != nil else { return }
        count("ingestor_replayed_letters_total", [("outcome", outcome)])
    }

    /// The normalize stage handed events of one record to the events topic, and skipped repeats.
    func eventsWritten(_ written: Int, skipped: Int, topic: String) {
        stats.withLock { stats in
            stats.eventsWritten += written
            stats.eventsSkipped += skipped
        }
        if written > 0 { count("ingestor_events_written_total", [("topic", topic)], by: written) }
        if skipped > 0 { count("ingestor_events_skipped_total", [("topic", topic)], by: skipped) }
    }

    /// A partition's state was restored.
    func restored(_ partition: PartitionID, read: Int, fenced: Int, forgotten: Int, duration: Duration) {
        Metrics.Timer(label: "ingestor_restore_seconds", dimensions: [], factory: factory).recordNanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        )
        count("ingestor_changelog_records_restored_total", [], by: read)
        if forgotten > 0 { count("ingestor_state_resolved_forgotten_total", [], by: forgotten) }
        if fenced > 0 {
            count("ingestor_changelog_fenced_total", [], by: fenced)
            logger.warning("\(partition): ignored \(fenced) changelog records of an owner fenced by a newer claim")
        }
    }

    /// How far the state is behind the changelog: writes not yet acknowledged, records restores have left to read.
    func changelogLag(_ lag: PartitionedStateStore.ChangelogLag) {
        Gauge(label: "ingestor_changelog_unacknowledged_writes", dimensions: [], factory: factory)
            .record(lag.unacknowledgedWrites)
        Gauge(label: "ingestor_changelog_restore_remaining_records", dimensions: [], factory: factory)
            .record(lag.restoreRemaining.values.reduce(0, +))
    }

    /// How many events partitions (and their state) this worker owns.
    func ownedPartitions(_ count: Int) {
        Gauge(label: "ingestor_owned_partitions", dimensions: [], factory: factory).record(count)
    }

    func finished(inFlight: Int) {
        stats.withLock { $0.messagesFinished += 1 }
        inFlightGauge.record(inFlight)
    }

    func began(inFlight: Int) {
        inFlightGauge.record(inFlight)
    }

    func abandoned(_ message: SourceMessage) {
        stats.withLock { $0.abandoned += 1 }
        logger.info("left \(message.position) unfinished for redelivery after restart")
    }

    func intakePaused(_ partitions: [PartitionID], inFlight: Int) {
        stats.withLock {
            $0.pauses += 1
            $0.paused = true
        }
        pausedGauge.record(1)
        count("ingestor_intake_pauses_total", [])
        logger.info(
            "in-flight work full (\(inFlight) events): paused \(partitions.count) partitions, still polling the group"
        )
    }

    func revoked(_ partitions: [PartitionID]) {
        stats.withLock { $0.revokedPartitions += partitions.count }
    }

    func intakeResumed(_ partitions: [PartitionID]) {
        stats.withLock { $0.paused = false }
        pausedGauge.record(0)
        logger.info("room again: resumed \(partitions.count) partitions")
    }

    func pendingIntents(found: Int, unresolved: Int) {
        stats.withLock { $0.pendingIntentsFound += found }
        pendingGauge.record(unresolved)
    }

    func pendingIntentResolved(_ key: String, outcome: String, unresolved: Int) {
        stats.withLock {
            switch outcome {
            case "found": $0.pendingIntentsRecovered += 1
            case "unverifiable": $0.pendingIntentsUnverifiable += 1
            default: break
            }
        }
        pendingGauge.record(unresolved)
        count("ingestor_pending_intents_reconciled_total", [("outcome", outcome)])
    }

    /// A key with no state was looked up at the target; `ingestor_state_lookups_total{target, outcome}`.
    func unknownKeyLookedUp(target: String, outcome: String, adopted: Bool) {
        stats.withLock { stats in
            stats.unknownKeysLookedUp += 1
            if adopted { stats.unknownKeysAdopted += 1 }
        }
        count("ingestor_state_lookups_total", [("target", target), ("outcome", outcome)])
    }

    func gateWaited(target: String, duration: Duration) {
        guard duration > .zero else { return }
        let timer = timers.withLock { timers in
            let label = "ingestor_target_gate_wait_seconds|\(target)"
            if let timer = timers[label] { return timer }
            let created = Metrics.Timer(
                label: "ingestor_target_gate_wait_seconds",
                dimensions: [("target", target)],
                factory: factory
            )
            timers[label] = created
            return created
        }
        timer.recordNanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        )
    }
}

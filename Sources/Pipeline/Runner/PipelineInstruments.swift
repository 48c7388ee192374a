import IncidentAPI
public import Logging
public import Metrics
import Normalizer
import Synchronization

/// Counts of what the pipeline did, for the demo summary, tests and `/readyz` detail.
public struct PipelineStats: Sendable, Hashable {
    /// Messages taken from the source.
    public var messagesConsumed = 0
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
    /// Repeats that changed nothing and were not sent.
    public var suppressed = 0
    /// Events that needed nothing (resolved with nothing open).
    public var ignored = 0
    /// Retries after a retryable failure.
    public var retries = 0
    /// Dead letters acknowledged by the sink.
    public var deadLetters = 0
    /// Dead letters by stage.
    public var deadLettersByStage: [String: Int] = [:]
    /// Messages left unfinished by shutdown (redelivered after restart).
    public var abandoned = 0

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

    /// Creates instruments writing to `factory`.
    public init(factory: any MetricsFactory, logger: Logger) {
        self.factory = factory
        self.logger = logger
        inFlightGauge = Gauge(label: "ingestor_in_flight_events", dimensions: [], factory: factory)
    }

    /// A copy of the counts so far.
    public var snapshot: PipelineStats { stats.withLock { $0 } }

    private func count(_ label: String, _ dimensions: [(String, String)], by amount: Int = 1) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
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
        case .send(let command):
            logger.debug("\(command.action.rawValue) \(event.dedupKey): \(command.reason)")
        }
        count("ingestor_decisions_total", [("decision", decision.name)])
    }

    func delivery(_ command: IncidentCommand, target: String, outcome: TargetOutcome, duration: Duration) {
        let result = outcome.failure == nil ? "success" : "failure"
        count(
            "ingestor_target_requests_total",
            [("target", target), ("action", command.action.rawValue), ("outcome", result)]
        )
        let key = "\(target)|\(command.action.rawValue)"
        let timer = timers.withLock { timers in
            if let existing = timers[key] { return existing }
            let created = Metrics.Timer(
                label: "ingestor_target_request_duration_seconds",
                dimensions: [("target", target), ("action", command.action.rawValue)],
                factory: factory
            )
            timers[key] = created
            return created
        }
        timer.recordNanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        )
    }

    func applied(_ command: IncidentCommand) {
        stats.withLock { stats in
            switch command.action {
            case .create: stats.created += 1
            case .update: stats.updated += 1
            case .resolve: stats.resolved += 1
            case .comment: stats.commented += 1
            }
        }
    }

    func retry(_ command: IncidentCommand, target: String, failure: TargetFailure, delay: Duration) {
        stats.withLock { $0.retries += 1 }
        count("ingestor_retries_total", [("target", target), ("reason", failure.code.rawValue)])
        logger.info(
            "retrying \(command.action.rawValue) for \(command.dedupKey) in \(delay): \(failure)",
            metadata: ["incident.adapter": "\(target)"]
        )
    }

    func deadLettered(_ letter: DeadLetter) {
        stats.withLock { stats in
            stats.deadLetters += 1
            stats.deadLettersByStage[letter.stage.rawValue, default: 0] += 1
        }
        count("ingestor_dead_letters_total", [("stage", letter.stage.rawValue), ("reason", letter.reason)])
        logger.warning(
            "dead-lettered \(letter.original.position): \(letter.reason): \(letter.message)",
            metadata: ["pipeline.outcome": "dead_letter", "kafka.offset": "\(letter.original.position)"]
        )
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
}

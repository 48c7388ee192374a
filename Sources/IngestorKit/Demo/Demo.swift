import Foundation
import IncidentAPIFakes
import KafkaIO
public import Logging
import Normalizer
public import Pipeline
import Prometheus
import ServiceLifecycle
import Synchronization

/// `ingestor demo`: the whole job on one machine with nothing installed but Swift and librdkafka.
///
/// Starts an embedded Kafka cluster (librdkafka's mock cluster) and a fake DevRev API, produces a realistic
/// workload, runs the real worker on it (built by the same ``IngestorApp/build(configuration:logger:registry:stateStore:gracefulShutdownSignals:stages:)``
/// as `ingestor run`, with its default two stages), shows progress, and checks the outcome.
public enum Demo {
    /// One verified property of the outcome.
    public struct Check: Sendable {
        /// What was checked.
        public var name: String
        /// Whether it held.
        public var passed: Bool
        /// Expected versus seen.
        public var detail: String
    }

    /// What the demo saw.
    public struct Report: Sendable {
        /// Messages produced.
        public var produced: Int
        /// The pipeline's counters.
        public var stats: PipelineStats
        /// Incidents the fake API holds.
        public var incidentsAtAPI: Int
        /// Requests the fake API answered, and how many of them were injected faults.
        public var apiRequests: Int
        /// Injected 429 and 5xx answers.
        public var injectedFaults: Int
        /// Dead letters read back from the topic, by reason.
        public var deadLettersByReason: [String: Int]
        /// Every check.
        public var checks: [Check]
        /// Wall time of the run.
        public var elapsed: Duration
        /// Where things were.
        public var bootstrapServers: String
        /// The fake API's base URL.
        public var apiURL: String
        /// The dead-letter topic.
        public var deadLetterTopic: String
        /// The worker's SQLite state file.
        public var statePath: String

        /// Whether every check held.
        public var passed: Bool { checks.allSatisfy(\.passed) }
    }

    /// What the demo tells its caller while it runs.
    public enum Output: Sendable {
        /// A line to print.
        case line(String)
        /// The current progress, several times a second; a terminal redraws it in place.
        case progress(done: Int, total: Int, text: String)
    }

    static let rawTopic = "alerts.raw"
    static let deadLetterTopic = "alerts.dlq"
    static let group = "ingestor-demo"
    static let token = "demo-token-0b7f3c"

    /// Runs the demo.
    /// - Parameter output: receives lines and progress.
    public static func run(
        options: DemoOptions,
        logger: Logger,
        output emit: @escaping @Sendable (Output) -> Void
    ) async throws -> Report {
        let output: @Sendable (String) -> Void = { emit(.line($0)) }
        let clock = ContinuousClock()
        let started = clock.now
        let cluster = try EmbeddedKafkaCluster(brokers: options.brokers, logger: logger)
        try cluster.createTopic(rawTopic, partitions: options.partitions, replicationFactor: min(3, options.brokers))
        try cluster.createTopic(deadLetterTopic, partitions: 3, replicationFactor: min(3, options.brokers))
        output(
            "embedded Kafka: \(options.brokers) broker(s) at \(cluster.bootstrapServers); topics \(rawTopic) (\(options.partitions) partitions), \(deadLetterTopic)"
        )

        var faults = FakeFaults()
        faults.failRate = options.failRate
        faults.throttleEvery = options.throttleEvery
        faults.seed = options.seed
        var apiLogger = logger
        apiLogger.logLevel = .critical
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: token), faults: faults, logger: apiLogger)

        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await api.run() }
            defer { tasks.cancelAll() }
            let apiURL = try await api.baseURL()
            output(
                "fake DevRev API: \(apiURL) (faults: \(Int(options.failRate * 100))% 5xx, 429 every \(options.throttleEvery) calls)"
            )

            let workload = DemoWorkload(
                groups: options.groups,
                rounds: options.rounds,
                seed: options.seed,
                maxPayloadBytes: 256 * 1024
            )
            try await produce(workload, to: cluster, logger: logger)
            output(
                "produced \(workload.messages.count) messages: \(workload.expectation.incidents) distinct alerts, "
                    + "\(workload.expectation.resolves) resolving, \(workload.expectation.deadLetters) malformed"
            )

            let statePath = FileManager.default.temporaryDirectory
                .appendingPathComponent(
                    "ingestor-demo-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max)).sqlite"
                )
                .path
            output("incident state (SQLite): \(statePath)")
            let configuration = try IngestorConfiguration.parse(
                yaml: configurationYAML(bootstrap: cluster.bootstrapServers, apiURL: apiURL, statePath: statePath),
                source: "(demo)",
                environment: ["DEMO_DEVREV_TOKEN": token]
            )
            // The topics of the two stages, made in-process: the mock cluster does not answer CreateTopics. The
            // changelog has as many partitions as the events topic, as the worker requires.
            let kafka = configuration.kafka
            for topic in [kafka.resolvedEventsTopic, kafka.resolvedChangelogTopic] {
                try cluster.createTopic(
                    topic,
                    partitions: options.partitions,
                    replicationFactor: min(3, options.brokers)
                )
            }
            try cluster.createTopic(kafka.resolvedAuditTopic, partitions: 1, replicationFactor: min(3, options.brokers))
            let registry = PrometheusCollectorRegistry()
            // What `ingestor run` does by default: the normalize and delivery stages through Kafka, in one process.
            let app = try IngestorApp.build(
                configuration: configuration,
                logger: logger,
                registry: registry,
                gracefulShutdownSignals: [],
                stages: [.normalize, .deliver]
            )
            let worker = Task { try await app.serviceGroup.run() }

            let finished = try await waitForCompletion(
                app: app,
                produced: workload.messages.count,
                timeout: options.timeout,
                output: emit
            )
            if let port = app.status.opsPort {
                output("ops endpoints were on http://127.0.0.1:\(port) (/metrics /healthz /readyz)")
            }
            await app.serviceGroup.triggerGracefulShutdown()
            if case .failure(let error) = await worker.result { output("worker stopped with an error: \(error)") }

            let report = try await verify(
                workload: workload,
                finished: finished,
                stats: app.instruments.snapshot,
                api: api,
                cluster: cluster,
                logger: logger,
                elapsed: clock.now - started,
                apiURL: apiURL,
                statePath: statePath
            )
            if options.hold {
                output(summary(report))
                output(
                    "holding: Kafka at \(cluster.bootstrapServers), API at \(apiURL)/_mock/incidents; press Ctrl-C to stop"
                )
                try? await Task.sleep(for: .seconds(365 * 86_400))
            }
            return report
        }
    }

    static func configurationYAML(bootstrap: String, apiURL: String, statePath: String) -> String {
        """
        kafka:
          bootstrap_servers: "\(bootstrap)"
          group_id: \(group)
          session_timeout: 10s
          commit_interval: 200ms
        sources:
          - topic: \(rawTopic)
            format: auto
        dead_letter:
          topic: \(deadLetterTopic)
        pipeline:
          lanes: 8
          drain_timeout: 5s
          retry:
            max_attempts: 8
            initial_backoff: 50ms
            max_backoff: 2s
        limits:
          max_payload_bytes: 262144
        target:
          kind: devrev
          devrev:
            base_url: \(apiURL)
            token: {env: DEMO_DEVREV_TOKEN}
            triage_stage: \(FakeDevRevAPI.stages["triage"]!)
            resolved_stage: \(FakeDevRevAPI.stages["resolved"]!)
          rate_limit: {per_second: 500, burst: 100}
        state:
          path: \(statePath)
        ops:
          host: 127.0.0.1
          port: 0
        logging:
          level: warning
        """
    }

    /// Produces the workload, many records in flight at once, each acknowledged.
    static func produce(_ workload: DemoWorkload, to cluster: EmbeddedKafkaCluster, logger: Logger) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList),
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, message) in workload.messages.enumerated() {
                if index >= 64 { try await group.next() }
                group.addTask {
                    try await producer.send(
                        topic: rawTopic,
                        key: Array(message.key.utf8),
                        value: message.value,
                        headers: message.headers.map { KafkaHeader(key: $0.0, text: $0.1) }
                    )
                }
            }
            try await group.waitForAll()
        }
        await producer.close(timeout: .seconds(5))
    }

    /// Reports progress until every produced message has a final outcome, or the timeout.
    static func waitForCompletion(
        app: IngestorApp,
        produced: Int,
        timeout: Duration,
        output: @Sendable (Output) -> Void
    ) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let stats = app.instruments.snapshot
            // Both stages count what they finish: every raw record (normalized, or rejected) and every event it
            // became (delivered, suppressed, ignored or dead-lettered). Neither can finish more than it was given, so
            // the sum reaches this only once both are done.
            let done =
                stats.messagesFinished >= produced + stats.eventsWritten && (app.runner?.inFlightEvents ?? 0) == 0
            output(
                .progress(
                    done: stats.messagesFinished,
                    total: produced + stats.eventsWritten,
                    text:
                        "records read \(stats.messagesConsumed) (\(produced) raw, \(stats.eventsWritten) events)  created \(stats.created)  updated \(stats.updated)  "
                        + "resolved \(stats.resolved)  repeats skipped \(stats.eventsSkipped)  suppressed \(stats.suppressed)  retries \(stats.retries)  dead letters \(stats.deadLetters)"
                )
            )
            if done { return true }
            if clock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// A text progress bar, e.g. `[#########---------------]`.
    public static func progressBar(_ done: Int, of total: Int) -> String {
        let width = 24
        let filled = total == 0 ? width : min(width, done * width / total)
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }
}

import ArgumentParser
import Foundation
import IngestorKit
import KafkaIO
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs the worker: consume, normalize, deduplicate, deliver, dead-letter.",
        discussion: """
            The configuration is validated before anything starts; a wrong one is refused with every problem \
            listed by key path (exit 2). Environment variables INGESTOR_<SECTION>__<KEY> override the file, \
            for example INGESTOR_KAFKA__BOOTSTRAP_SERVERS=kafka:9092; an INGESTOR_ variable that names no \
            key is refused too.

            SIGTERM or SIGINT starts a graceful shutdown: intake stops, in-flight work finishes within \
            pipeline.drain_timeout, offsets are committed, dead letters flushed. Offsets move only past \
            messages that were delivered, deliberately suppressed, or dead-lettered with the broker's \
            acknowledgement, so a crash means redelivery, never loss.

            A dedup key the worker has no state for (a new state directory, a wiped disk, a lost changelog) is \
            looked up at the target before it is created or its resolve ignored, where the target can find \
            incidents by dedup key: an open incident found there is updated or resolved instead of duplicated \
            or orphaned. One extra lookup call per key new to the state; pipeline.lookup_unknown_keys: false \
            turns it off.

            Start it as many times as you like with the same configuration, on one host or many: together the \
            processes are one worker. Each one runs two stages. The normalize stage reads the raw topics \
            (consumer group kafka.group_id) and writes every normalized event to kafka.events_topic (default \
            <group_id>.events), keyed by its dedup key, and rejections to the dead-letter topic; a raw offset \
            moves only once the broker acknowledged its events. The delivery stage reads the events topic \
            (group <group_id>.deliver): the process that holds an events partition owns its keys' incident \
            state, restores it from kafka.changelog_topic (default <group_id>.changelog; state.path is a local \
            cache of it) before it takes any of the partition's events, and writes every change there before \
            the events offset moves. Missing topics are created with kafka.create_topics.*. The README \
            sections "Normalized events topic" and "Several workers" describe the topics and what a rebalance \
            costs.

            --stage normalize or --stage deliver runs one stage only (to scale them apart). --stage all runs \
            the whole job in one process without the events and changelog topics, its state only in \
            state.path: exactly one such process per group. A state file such a worker left is handed over to \
            the changelog by the first default start on it (the README, "Moving from --stage all").

            Operations: GET /metrics, /healthz and /readyz on ops.host:ops.port (default 0.0.0.0:9464). With \
            an intake section, POST /v1/ingest/{source} takes webhooks (Alertmanager, Grafana, SNS, …) and \
            writes them to the source's topic, answering 202 once Kafka acknowledged them; it is served on \
            intake.port, or on the ops port when that is not set.
            """
    )

    @Option(name: .shortAndLong, help: "The YAML configuration file.")
    var config: String

    @Option(help: "Log level, overriding logging.level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Option(
        help: """
            What this process does (repeatable): normalize (raw topics in, normalized events out to \
            kafka.events_topic), deliver (events in, incidents out, the state owned by events partition and kept \
            in kafka.changelog_topic), or all (the whole job in one process without the events and changelog \
            topics, its state only in state.path: exactly one such process per group). Without --stage a \
            process runs normalize and deliver, so any number of them can share the job.
            """
    )
    var stage: [String] = []

    /// The stages this process runs: both, through Kafka, unless `--stage` says otherwise.
    var stages: Set<IngestorStage> {
        stage.isEmpty ? [.normalize, .deliver] : Set(stage.compactMap(IngestorStage.init(rawValue:)))
    }

    func validate() throws {
        for name in stage where IngestorStage(rawValue: name) == nil {
            throw ValidationError(
                "--stage must be one of \(IngestorStage.allCases.map(\.rawValue).joined(separator: ", ")), not \(name)"
            )
        }
        if stage.contains(IngestorStage.all.rawValue), stage.count > 1 {
            throw ValidationError("--stage all is the whole job in one process; it takes no other stage")
        }
    }

    func run() async throws {
        let configuration = try Console.loadConfiguration(config, checkHost: true)
        let level = logLevel.flatMap(Logger.Level.init(rawValue:)) ?? configuration.logLevel
        Console.bootstrapLogging(level: level)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "ingestor")
        logger.info(
            "ingestor \(IngestorVersion.current) starting with librdkafka \(LibrdkafkaVersion.runtime) (minimum \(LibrdkafkaVersion.minimum))",
            metadata: [
                "config": "\(config)", "target": "\(configuration.target.name)",
                "stage": "\(IngestorStage.allCases.filter(stages.contains).map(\.rawValue).joined(separator: ","))",
            ]
        )
        do {
            let app = try IngestorApp.build(
                configuration: configuration,
                logger: logger,
                registry: registry,
                stages: stages
            )
            try await app.serviceGroup.run()
            logger.info("stopped")
        } catch let error as KafkaError {
            logger.critical("\(error)")
            throw ExitCode.failure
        } catch let error as StateStoreError {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }
}

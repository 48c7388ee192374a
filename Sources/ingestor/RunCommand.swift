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

            --stage normalize runs only the normalize stage: it reads the raw topics (consumer group \
            kafka.group_id) and writes every normalized event to kafka.events_topic (default \
            <group_id>.events, created when missing with kafka.create_topics.*), keyed by its dedup key, and \
            rejections to the dead-letter topic; a raw offset moves only once the broker acknowledged its events. \
            The README section "Normalized events topic" describes the records.

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
            What this process does (repeatable): all (the whole job in one process, its state in state.path: one \
            worker; the default), normalize (raw topics in, normalized events out to kafka.events_topic), or \
            deliver (events in, incidents out, the state owned by events partition and kept in \
            kafka.changelog_topic: any number of workers). --stage normalize --stage deliver runs both stages \
            through Kafka in one process.
            """
    )
    var stage: [String] = []

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
                "stage": "\(stage.isEmpty ? "all" : stage.joined(separator: ","))",
            ]
        )
        do {
            let app = try IngestorApp.build(
                configuration: configuration,
                logger: logger,
                registry: registry,
                stages: Set(stage.compactMap(IngestorStage.init(rawValue:)))
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

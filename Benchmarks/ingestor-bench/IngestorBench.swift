import ArgumentParser
import Foundation
import IncidentAPIFakes
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Pipeline
import Prometheus
import ServiceLifecycle

/// Measures what BENCHMARKS.md reports. Build it in release mode:
///   swift run -c release ingestor-bench
@main
struct IngestorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingestor-bench",
        abstract: "Measures raw consume, normalization and whole-worker throughput on this machine.",
        discussion: """
            Every scenario runs against librdkafka's embedded mock cluster and, for the worker, the fake \
            DevRev API over loopback, all in this process. The mock cluster keeps only about 5 MiB per \
            partition, so record counts are spread over many partitions. Rates per core divide by the \
            CPU seconds the process used (user + system), not by wall time.
            """
    )

    @Flag(help: "A small run for CI: checks the scenarios work, figures not meaningful.") var quick = false
    @Option(help: "Records for the raw consume scenario.") var rawRecords = 200_000
    @Option(help: "Alertmanager groups (5 alerts each) normalized in the normalize scenario.") var normalizeGroups =
        100_000
    @Option(help: "Messages (5 alerts each) in the worker storm scenario.") var stormMessages = 20_000
    @Option(help: "Distinct alert groups in the storm; the rest are repeats.") var stormGroups = 400
    @Option(help: "Run only these scenarios: raw, normalize (= am, sns, email), storm (repeatable).") var only:
        [String] = []
    @Option(help: "A librdkafka consumer property for the raw scenario, KEY=VALUE (repeatable).") var consumerProperty:
        [String] = []

    @Option(help: "Consume topic `raw` (32 partitions) from this external cluster instead of producing one.")
    var bootstrap: String?

    func wants(_ scenario: String) -> Bool { only.isEmpty || only.contains(scenario) }

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let raw = quick ? 5_000 : rawRecords
        let groups = quick ? 2_000 : normalizeGroups
        let storm = quick ? 1_000 : stormMessages
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, librdkafka \(LibrdkafkaVersion.runtime)")

        if wants("raw") {
            let rawResult = try await rawConsume(records: raw, logger: logger)
            print(
                String(
                    format: "raw consume      %8d records  %6.2f s wall  %6.2f s cpu  %9.0f rec/s  %9.0f rec/cpu-s",
                    raw,
                    rawResult.wallSeconds,
                    rawResult.cpuSeconds,
                    Double(raw) / rawResult.wallSeconds,
                    Double(raw) / rawResult.cpuSeconds
                )
            )
        }

        let scenarios = [
            ("normalize AM x5 ", "am", BenchPayloads.alertmanagerGroup, groups, 5),
            ("normalize SNS/CW", "sns", BenchPayloads.cloudWatchViaSNS, groups * 2, 1),
            ("normalize email ", "email", BenchPayloads.multipartEmail, groups / 20, 1),
        ]
        for (name, key, payload, messages, eventsEach) in scenarios where wants("normalize") || wants(key) {
            let normalized = try await normalize(payload, messages: messages, eventsEach: eventsEach)
            let events = messages * eventsEach
            print(
                String(
                    format: "%@ %8d events   %6.2f s wall  %6.2f s cpu  %9.0f ev/s  (%d B per message)",
                    name,
                    events,
                    normalized.wallSeconds,
                    normalized.cpuSeconds,
                    Double(events) / normalized.cpuSeconds,
                    payload.count
                )
            )
        }

        guard wants("storm") else { return }
        let (workerResult, stats) = try await workerStorm(
            messages: storm,
            groups: quick ? 50 : stormGroups,
            logger: logger
        )
        let alerts = storm * 5
        print(
            String(
                format:
                    "worker storm     %8d alerts   %6.2f s wall  %6.2f s cpu  %9.0f alerts/s  %9.0f alerts/cpu-s  peak RSS %.0f MiB",
                alerts,
                workerResult.wallSeconds,
                workerResult.cpuSeconds,
                Double(alerts) / workerResult.wallSeconds,
                Double(alerts) / workerResult.cpuSeconds,
                workerResult.peakRSSMegabytes
            )
        )
        print(
            "  created \(stats.created) updated \(stats.updated) suppressed \(stats.suppressed) dead letters \(stats.deadLetters)"
        )
    }

    /// librdkafka's raw rate: records consumed into Swift values, no processing.
    func rawConsume(records: Int, logger: Logger) async throws -> Measurement {
        let partitions = 32
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        var servers = cluster.bootstrapServerList
        if let bootstrap {
            servers = bootstrap.split(separator: ",").map(String.init)
        } else {
            try cluster.createTopic("raw", partitions: partitions)
            try await produce(records: records, partitions: partitions, cluster: cluster, logger: logger)
        }
        var configuration = KafkaConsumerConfiguration(bootstrapServers: servers, groupID: "bench")
        for pair in consumerProperty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { configuration.overrides[parts[0]] = parts[1] }
        }
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        try consumer.assign(
            (0..<Int32(partitions)).map {
                KafkaTopicPartitionOffset(
                    KafkaTopicPartition(topic: "raw", partition: $0),
                    offset: KafkaTopicPartitionOffset.beginning
                )
            }
        )
        let measurement = try await Measurement.of {
            var seen = 0
            for try await event in consumer.events {
                if case .message = event { seen += 1 }
                if seen == records { break }
            }
        }
        try await consumer.close()
        return measurement
    }

    /// Produces `records` records of 300 bytes round-robin over the partitions.
    func produce(records: Int, partitions: Int, cluster: EmbeddedKafkaCluster, logger: Logger) async throws {
        let producer = try KafkaProducer(configuration: Self.bulkProducer(cluster), logger: logger)
        let value = [UInt8](repeating: 0x61, count: 300)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<records {
                if index >= 20_000 { try await group.next() }
                group.addTask {
                    try await producer.send(topic: "raw", partition: Int32(index % partitions), key: nil, value: value)
                }
            }
            try await group.waitForAll()
        }
        await producer.close(timeout: .seconds(10))
    }

    /// A producer that builds large batches, as a busy real producer would. This matters on the mock cluster: it
    /// answers each Fetch with a single produced batch per partition (librdkafka's `rd_kafka_mock_handle_Fetch`),
    /// so tiny batches would make every consumer pay a round trip per handful of records.
    static func bulkProducer(_ cluster: EmbeddedKafkaCluster) -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
        configuration.linger = .milliseconds(100)
        configuration.overrides = ["batch.num.messages": "10000"]
        return configuration
    }

    /// The normalizer alone on one payload, in a loop on one thread, with format detection (`auto`).
    func normalize(_ payload: [UInt8], messages: Int, eventsEach: Int) async throws -> Measurement {
        let normalizer = Normalizer()
        let input = NormalizerInput(payload: payload, origin: "alerts.raw")
        var total = 0
        let measurement = try await Measurement.of {
            for _ in 0..<messages { total += try normalizer.normalize(input, format: .auto).count }
        }
        precondition(total == messages * eventsEach, "expected \(eventsEach) events per message")
        return measurement
    }

    /// The whole worker on a storm where nearly every alert repeats: consume, normalize, correlate, suppress.
    func workerStorm(messages: Int, groups: Int, logger: Logger) async throws -> (Measurement, PipelineStats) {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic("alerts.raw", partitions: 16)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "bench"), logger: logger)
        return try await api.withRunning { baseURL in
            let producer = try KafkaProducer(configuration: Self.bulkProducer(cluster), logger: logger)
            let payloads = (0..<groups).map { group in
                let alerts = (0..<5).map {
                    #"{"status":"firing","labels":{"alertname":"A\#(group)","instance":"host-\#($0)","severity":"warning"},"annotations":{"summary":"A\#(group) on host-\#($0)"},"startsAt":"2026-11-24T08:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"\#(String(group * 5 + $0, radix: 16))"}"#
                }
                return Array(
                    #"{"version":"4","groupKey":"g\#(group)","status":"firing","receiver":"r","alerts":[\#(alerts.joined(separator: ","))]}"#
                        .utf8
                )
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<messages {
                    if index >= 20_000 { try await group.next() }
                    let key = index % groups
                    group.addTask {
                        try await producer.send(topic: "alerts.raw", key: Array("g\(key)".utf8), value: payloads[key])
                    }
                }
                try await group.waitForAll()
            }
            await producer.close(timeout: .seconds(10))
            let yaml = """
                kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: bench, session_timeout: 10s}
                sources: [{topic: alerts.raw, format: alertmanager}]
                dead_letter: {topic: alerts.dlq}
                pipeline: {lanes: 16, max_in_flight_events: 4000, drain_timeout: 5s}
                target:
                  kind: devrev
                  devrev: {base_url: "\(baseURL)", token: {env: BENCH_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
                ops: {host: 127.0.0.1, port: 0}
                state: {path: "\(FileManager.default.temporaryDirectory.path)/ingestor-bench-\(UInt32.random(in: 0...UInt32.max)).sqlite"}
                logging: {level: critical}
                """
            let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: ["BENCH_TOKEN": "bench"])
            let app = try IngestorApp.build(
                configuration: configuration,
                logger: logger,
                registry: PrometheusCollectorRegistry(),
                gracefulShutdownSignals: []
            )
            // The clock starts when the worker starts: it includes the group join (about 3 s on the mock cluster).
            var firstConsumed: ContinuousClock.Instant?
            let measurement = try await Measurement.of {
                let worker = Task { try await app.serviceGroup.run() }
                while app.instruments.snapshot.messagesFinished < messages {
                    if firstConsumed == nil, app.instruments.snapshot.messagesConsumed > 0 { firstConsumed = .now }
                    try await Task.sleep(for: .milliseconds(1))
                }
                let busy = ContinuousClock.now - (firstConsumed ?? .now)
                await app.serviceGroup.triggerGracefulShutdown()
                try await worker.value
                print(
                    String(
                        format: "  from first record consumed to last finished: %.2f s",
                        Double(busy.components.seconds) + Double(busy.components.attoseconds) / 1e18
                    )
                )
            }
            return (measurement, app.instruments.snapshot)
        }
    }
}

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
    @Option(help: "Alerts in the worker storm scenario (ten per message).") var stormAlerts = 1_000_000
    @Option(help: "Distinct dedup keys in the storm; the rest are repeats.") var stormKeys = 10_000
    @Option(help: "New alerts per second in the latency scenario.") var latencyRate = 1_000
    @Option(help: "Seconds the latency scenario produces for.") var latencySeconds = 30
    @Option(help: "The target rate limit (calls/s) in the rate-limit scenario.") var rateLimitPerSecond = 50.0
    @Option(help: "Seconds the incident API stays down in the outage scenario.") var outageSeconds = 120
    @Option(help: "Webhook requests in the intake scenario.") var intakeRequests = 20_000
    @Option(help: "Requests in flight at once in the intake scenario.") var intakeConcurrency = 32
    @Option(help: "Incident records written to the changelog and restored in the restore scenario.")
    var restoreKeys = 100_000

    @Option(help: "Dead letters in the replay scenario.") var replayLetters = 20_000
    @Option(help: "Keys in the workers scenario (each fires, is updated and resolves).") var workersKeys = 3_000
    @Option(
        help:
            "Run only these scenarios: raw, normalize (= am, sns, email), storm, storm-decoded (the storm with the repeat memory off), stage (the normalize stage on the storm input), latency, ratelimit, outage, intake, restore (the changelog: empty disk and same disk), workers (in-process against two-stage, one worker against two), replay (repeatable)."
    ) var only: [String] = []
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

        var stormCPU: Double?
        if wants("storm") {
            stormCPU = try await storm(
                alerts: quick ? 20_000 : stormAlerts,
                keys: quick ? 1_000 : stormKeys,
                logger: logger
            )
        }
        if wants("storm-decoded") {
            _ = try await storm(
                alerts: quick ? 20_000 : stormAlerts,
                keys: quick ? 1_000 : stormKeys,
                decodeEveryRepeat: true,
                logger: logger
            )
        }
        if wants("stage") {
            try await stage(
                alerts: quick ? 20_000 : stormAlerts,
                keys: quick ? 1_000 : stormKeys,
                workerCPU: stormCPU,
                logger: logger
            )
        }
        if wants("restore") {
            try await restore(keys: quick ? 2_000 : restoreKeys, logger: logger)
        }
        if wants("workers") {
            try await workers(keys: quick ? 300 : workersKeys, logger: logger)
        }
        if wants("latency") {
            try await latency(rate: quick ? 200 : latencyRate, seconds: quick ? 2 : latencySeconds, logger: logger)
        }
        if wants("outage") {
            try await outage(seconds: quick ? 4 : outageSeconds, backlog: quick ? 2_000 : 50_000, logger: logger)
        }
        if wants("intake") {
            try await intake(
                requests: quick ? 300 : intakeRequests,
                concurrency: quick ? 8 : intakeConcurrency,
                logger: logger
            )
        }
        if wants("replay") {
            try await replay(letters: quick ? 300 : replayLetters, logger: logger)
        }
        if wants("ratelimit") {
            try await rateLimit(
                perSecond: quick ? 100 : rateLimitPerSecond,
                burst: 10,
                creates: quick ? 150 : Int(rateLimitPerSecond * 30),
                logger: logger
            )
        }
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
        let kcat = try kcatDrain(topic: "raw", records: records, bootstrap: servers.joined(separator: ","))
        print(
            String(
                format:
                    "kcat baseline    %8d records  %6.2f s wall (kcat -C, librdkafka's defaults): the raw consumer took %.2f× as long",
                records,
                kcat,
                measurement.wallSeconds / kcat
            )
        )
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
}

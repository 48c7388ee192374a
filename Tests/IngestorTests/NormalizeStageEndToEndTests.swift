import Foundation
import IngestorKit
import KafkaIO
import Normalizer
import Pipeline
import Prometheus
import ServiceLifecycle
import Testing

/// `ingestor run --stage normalize` against the embedded cluster: raw records of every supported format in, events
/// out, keyed by dedup key, each with its raw origin; rejections in the dead-letter topic.
@Suite("Normalize stage on Kafka", .serialized)
struct NormalizeStageEndToEndTests {
    /// One fixture as a raw record: its bytes and the `ingestor-format` it is sent with.
    struct Fixture {
        var name: String
        var bytes: [UInt8]
        var format: String
    }

    static func fixtures() throws -> [Fixture] {
        var fixtures: [Fixture] = []
        for directory in try FileManager.default.contentsOfDirectory(atPath: SchemaTests.fixtures.path).sorted() {
            let suffix = directory == "email" ? ".eml" : ".json"
            // Datadog and Zabbix payloads are the user's own templates: they need the format named.
            let format = ["email", "datadog", "zabbix"].contains(directory) ? directory : "auto"
            for path in try SchemaTests.files(directory, suffix: suffix) {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                fixtures.append(
                    Fixture(
                        name: "\(directory)/\(URL(fileURLWithPath: path).lastPathComponent)",
                        bytes: bytes,
                        format: format
                    )
                )
            }
        }
        return fixtures
    }

    static func header(_ message: KafkaMessage, _ name: String) -> String? {
        message.header(name)
    }

    @Test(.timeLimit(.minutes(3)))
    func everyFormatBecomesKeyedEventsWithTheirOriginAndRejectionsBecomeLetters() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("stage.raw", partitions: 3)
        try cluster.createTopic("stage.dlq", partitions: 1)
        try cluster.createTopic("stage.events", partitions: 6)
        let fixtures = try Self.fixtures()
        #expect(fixtures.count > 60)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        // Each fixture twice, on two different raw partitions with different sender keys: its events must land on
        // the same events partition both times.
        for copy in 0..<2 {
            for (index, fixture) in fixtures.enumerated() {
                try await producer.send(
                    topic: "stage.raw",
                    partition: Int32((index + copy) % 3),
                    key: Array("sender-\(copy)-\(index)".utf8),
                    value: fixture.bytes,
                    headers: [KafkaHeader(key: Normalizer.formatHeader, text: fixture.format)]
                )
            }
        }
        await producer.close(timeout: .seconds(5))

        let yaml = """
            kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: stage, session_timeout: 6s, commit_interval: 100ms, events_topic: stage.events}
            sources: [{topic: stage.raw, format: auto}]
            dead_letter: {topic: stage.dlq}
            pipeline: {drain_timeout: 2s, skip_repeats_for: 0s}
            target: {kind: devrev, devrev: {base_url: "http://127.0.0.1:9", token: {env: STAGE_TOKEN}, resolved_stage: x}}
            state: {path: ":memory:"}
            ops: {host: 127.0.0.1, port: 0}
            """
        let app = try IngestorApp.build(
            configuration: try IngestorConfiguration.parse(yaml: yaml, environment: ["STAGE_TOKEN": "t"]),
            logger: e2eLogger,
            registry: PrometheusCollectorRegistry(),
            gracefulShutdownSignals: [],
            stages: [.normalize]
        )
        #expect(app.runner == nil && app.normalizeStage != nil)
        let worker = Task { try await app.serviceGroup.run() }
        let total = fixtures.count * 2
        let deadline = ContinuousClock.now + .seconds(60)
        while app.instruments.snapshot.messagesFinished < total {
            try #require(ContinuousClock.now < deadline, "stage did not finish: \(app.instruments.snapshot)")
            try await Task.sleep(for: .milliseconds(50))
        }
        await app.serviceGroup.triggerGracefulShutdown()
        try await worker.value

        let events = try await KafkaTopicReader.readAll(
            topic: "stage.events",
            bootstrapServers: cluster.bootstrapServerList,
            logger: e2eLogger
        )
        let letters = try await KafkaTopicReader.readAll(
            topic: "stage.dlq",
            bootstrapServers: cluster.bootstrapServerList,
            logger: e2eLogger
        )
        // What each fixture should become, from the same normalizer in this process.
        let normalizer = Normalizer()
        var expectedEvents = 0
        var expectedRejections = 0
        var keysByFixture: [Int: [String]] = [:]
        for (index, fixture) in fixtures.enumerated() {
            let input = NormalizerInput(
                payload: fixture.bytes,
                headers: [.init(name: Normalizer.formatHeader, value: Array(fixture.format.utf8))],
                origin: "stage.raw"
            )
            do {
                let normalization = try normalizer.normalization(of: input, route: SourceRoute())
                expectedEvents += normalization.events.count
                if !normalization.readsTransport { keysByFixture[index] = normalization.events.map(\.dedupKey) }
            } catch {
                expectedRejections += 1
            }
        }
        #expect(events.count == expectedEvents * 2, "every event of every record, once")
        #expect(letters.count == expectedRejections * 2, "every rejection a letter")
        #expect(
            expectedEvents > 50 && expectedRejections > 5,
            "the fixtures hold both kinds: \(expectedEvents), \(expectedRejections)"
        )

        // Grouped by origin: the events of each raw record, in order, keyed by their dedup keys.
        var byOrigin: [String: [KafkaMessage]] = [:]
        for event in events {
            let origin = [EventRecord.Header.originPartition, EventRecord.Header.originOffset]
                .map { event.header($0) ?? "?" }.joined(separator: "@")
            byOrigin[origin, default: []].append(event)
        }
        var partitionOfKey: [String: Int32] = [:]
        var values: [String] = []
        for (origin, recordEvents) in byOrigin {
            // A record's events for different keys sit on different partitions: each index once, none missing.
            let indexes = recordEvents.compactMap { $0.header(EventRecord.Header.eventIndex).flatMap(Int.init) }
            #expect(indexes.sorted() == Array(0..<recordEvents.count), "\(origin): every event once")
            for event in recordEvents {
                let value = try JSONParser().parse(event.value)
                #expect(event.key.map { String(decoding: $0, as: UTF8.self) } == value["dedupKey"]?.string)
                #expect(event.header(EventRecord.Header.originTopic) == "stage.raw")
                #expect(event.header(EventRecord.Header.originKey)?.hasPrefix("sender-") == true)
                #expect(event.header(EventRecord.Header.detectedFormat) == value["source"]?.string)
                let key = String(decoding: event.key ?? [], as: UTF8.self)
                if let partition = partitionOfKey[key] {
                    #expect(
                        partition == event.topicPartition.partition,
                        "\(key) on one partition whatever its sender did"
                    )
                }
                partitionOfKey[key] = event.topicPartition.partition
                values.append(String(decoding: event.value, as: UTF8.self))
            }
        }
        // The keys of records whose events depend on their bytes alone are the normalizer's dedup keys.
        let writtenKeys = Set(events.compactMap { $0.key.map { String(decoding: $0, as: UTF8.self) } })
        #expect(Set(keysByFixture.values.flatMap { $0 }).isSubset(of: writtenKeys))
        #expect(Set(partitionOfKey.values).count > 1, "keys spread over the events partitions")

        // Every value validates against the published schema.
        let (status, report) = try SchemaTests.validate(
            values.joined(separator: "\n") + "\n",
            schema: SchemaTests.eventSchema
        )
        #expect(status == 0, "\(report.prefix(2000))")
        #expect(letters.allSatisfy { $0.header("ingestor-dlq-stage") == "normalize" })
    }
}

extension NormalizeStageEndToEndTests {
    static func app(_ cluster: EmbeddedKafkaCluster, extra: String) throws -> IngestorApp {
        let yaml = """
            kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: topics, session_timeout: 6s\(extra)}
            sources: [{topic: topics.raw, format: alertmanager}]
            dead_letter: {topic: topics.dlq}
            pipeline: {drain_timeout: 1s}
            target: {kind: devrev, devrev: {base_url: "http://127.0.0.1:9", token: {env: STAGE_TOKEN}, resolved_stage: x}}
            state: {path: ":memory:"}
            ops: {host: 127.0.0.1, port: 0}
            """
        return try IngestorApp.build(
            configuration: try IngestorConfiguration.parse(yaml: yaml, environment: ["STAGE_TOKEN": "t"]),
            logger: e2eLogger,
            registry: PrometheusCollectorRegistry(),
            gracefulShutdownSignals: [],
            stages: [.normalize]
        )
    }

    @Test(.timeLimit(.minutes(2)))
    func anEventsTopicWithAnotherPartitionCountIsRefusedByName() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("topics.raw", partitions: 1)
        try cluster.createTopic("topics.dlq", partitions: 1)
        try cluster.createTopic("topics.events", partitions: 3)
        let app = try Self.app(cluster, extra: ", events_topic: topics.events, create_topics: {partitions: 12}")
        do {
            try await app.serviceGroup.run()
            Issue.record("the stage ran with an events topic of the wrong size")
        } catch {
            #expect(
                "\(error)".contains("topics.events has 3 partitions, but kafka.create_topics.partitions is 12"),
                "\(error)"
            )
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aMissingEventsTopicIsCreatedAndWrittenTo() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("topics.raw", partitions: 1)
        try cluster.createTopic("topics.dlq", partitions: 1)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        try await producer.send(
            topic: "topics.raw",
            key: nil,
            value: Array(
                #"{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"A"},"fingerprint":"f"}]}"#
                    .utf8
            )
        )
        await producer.close(timeout: .seconds(5))
        let app = try Self.app(cluster, extra: "")
        let worker = Task { try await app.serviceGroup.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while app.instruments.snapshot.messagesFinished < 1 {
            try #require(ContinuousClock.now < deadline, "nothing written: \(app.instruments.snapshot)")
            try await Task.sleep(for: .milliseconds(50))
        }
        await app.serviceGroup.triggerGracefulShutdown()
        try await worker.value
        // The mock cluster does not answer CreateTopics, so it is created on first use, with its default.
        let admin = try KafkaAdmin(bootstrapServers: cluster.bootstrapServerList, logger: e2eLogger)
        #expect(try await admin.partitionCounts(topics: ["topics.events"])["topics.events"] == 4)
        let events = try await KafkaTopicReader.readAll(
            topic: "topics.events",
            bootstrapServers: cluster.bootstrapServerList,
            logger: e2eLogger
        )
        #expect(events.map { $0.key.map { String(decoding: $0, as: UTF8.self) } } == ["am:f"])
    }
}

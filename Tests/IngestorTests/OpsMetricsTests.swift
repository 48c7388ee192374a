import Foundation
import IncidentAPI
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Pipeline
import PipelineTestSupport
import Prometheus
import ServiceLifecycle
import Testing

@testable import IngestorKit

/// The samples of a Prometheus text exposition, by series as written (`name{label="value",…}`).
func metricSamples(_ exposition: String) -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            continue
        }
        samples[String(line[..<space])] = value
    }
    return samples
}

/// The metrics this change added, each checked for its value: consumer lag, readiness, replayed letters.
@Suite("Ops metrics: consumer lag, readiness, replayed letters", .serialized)
struct OpsMetricsTests {
    static func scrape(_ client: CurlHTTPClient, _ port: Int) async throws -> [String: Double] {
        let answer = try await client.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics"))
        return metricSamples(String(decoding: answer.body, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(1)))
    func consumerLagIsOneSeriesPerHeldPartitionAndAPartitionGivenUpLosesIt() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("lag.raw", partitions: 2)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        for index in 0..<6 {
            try await producer.send(topic: "lag.raw", partition: index < 4 ? 0 : 1, key: nil, value: [UInt8(index)])
        }
        await producer.close(timeout: .seconds(5))
        let first = KafkaTopicPartition(topic: "lag.raw", partition: 0)
        let second = KafkaTopicPartition(topic: "lag.raw", partition: 1)
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServerList, groupID: "lag"),
            logger: e2eLogger
        )
        try consumer.assign([
            KafkaTopicPartitionOffset(first, offset: KafkaTopicPartitionOffset.committedOrReset),
            KafkaTopicPartitionOffset(second, offset: KafkaTopicPartitionOffset.committedOrReset),
        ])
        var read = 0
        for try await event in consumer.events {
            if case .message = event { read += 1 }
            if read == 6 { break }
        }
        let registry = PrometheusCollectorRegistry()
        let sampler = ConsumerLagSampler(
            consumers: [consumer],
            factory: PrometheusMetricsFactory(registry: registry),
            timeout: .seconds(5),
            logger: e2eLogger
        )
        let firstSeries = #"ingestor_consumer_lag_records{topic="lag.raw",partition="0"}"#
        let secondSeries = #"ingestor_consumer_lag_records{topic="lag.raw",partition="1"}"#

        // Read but not committed: all of it is behind.
        await sampler.sample()
        var samples = metricSamples(registry.emitToString())
        #expect(samples[firstSeries] == 4)
        #expect(samples[secondSeries] == 2)

        try consumer.store([KafkaTopicPartitionOffset(first, offset: 3)])
        try await consumer.commit()
        await sampler.sample()
        samples = metricSamples(registry.emitToString())
        #expect(samples[firstSeries] == 1)
        #expect(samples[secondSeries] == 2)
        try await consumer.close()

        // A partition no longer held (as after a rebalance) is no longer reported.
        sampler.record([first: 1])
        samples = metricSamples(registry.emitToString())
        #expect(samples[firstSeries] == 1)
        #expect(samples[secondSeries] == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func replayedLettersAreCountedByHowTheyEnded() async throws {
        let registry = PrometheusCollectorRegistry()
        let instruments = PipelineInstruments(factory: PrometheusMetricsFactory(registry: registry), logger: e2eLogger)
        let configuration = try IngestorConfiguration.parse(
            yaml: """
                kafka: {bootstrap_servers: "127.0.0.1:9", group_id: replayed}
                sources: [{topic: replayed.raw, format: auto}]
                dead_letter: {topic: replayed.dlq}
                target: {kind: devrev, devrev: {base_url: "http://127.0.0.1:9", token: {env: T}, resolved_stage: x}}
                state: {path: ":memory:"}
                """,
            environment: ["T": "t"]
        )
        let replayed = SourceMessage.Header(name: DeadLetter.Field.replayCount.rawValue, text: "1")
        let alert = Array(
            #"{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"A"},"fingerprint":"f1"}]}"#
                .utf8
        )
        let partition = PartitionID(topic: "replayed.raw", partition: 0)
        func message(_ offset: Int64, _ value: [UInt8], _ headers: [SourceMessage.Header]) -> SourceEvent {
            .message(
                SourceMessage(
                    position: MessagePosition(partition: partition, offset: offset),
                    key: nil,
                    value: value,
                    headers: headers
                )
            )
        }
        let source = InMemoryMessageSource([
            message(0, alert, [replayed]),
            message(1, Array("{not json".utf8), [replayed]),
            message(2, Array("{not json either".utf8), []),
            message(3, alert, []),
        ])
        let runner = IngestorApp.makeRunner(
            source: source,
            configuration: configuration,
            target: ScriptedTarget(),
            store: InMemoryIncidentStateStore(),
            deadLetters: RecordingDeadLetterSink(),
            instruments: instruments,
            clock: ManualClock(),
            logger: e2eLogger
        )
        let running = Task { try await runner.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while instruments.snapshot.messagesFinished < 4 {
            try #require(ContinuousClock.now < deadline, "not finished: \(instruments.snapshot)")
            try await Task.sleep(for: .milliseconds(10))
        }
        runner.stop()
        try await running.value

        let samples = metricSamples(registry.emitToString())
        #expect(samples[#"ingestor_replayed_letters_total{outcome="settled"}"#] == 1)
        #expect(samples[#"ingestor_replayed_letters_total{outcome="dead_lettered"}"#] == 1)
        #expect(samples[#"ingestor_dead_letters_total{stage="normalize",reason="invalid_json"}"#] == 2)
    }

    @Test(.timeLimit(.minutes(2)))
    func readyGaugeSaysWhatReadyzSays() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("ready.raw", partitions: 1)
        try cluster.createTopic("ready.dlq", partitions: 1)
        let statePath = temporaryStatePath()
        do {
            let store = try SQLiteIncidentStateStore(path: statePath, now: ReadinessTests.t0)
            for index in 0..<3 {
                try await store.save(
                    IncidentRecord(
                        target: "devrev",
                        dedupKey: "am:ready\(index)",
                        externalID: nil,
                        status: .open,
                        contentHash: 0,
                        lastEventAt: nil,
                        pending: .init(action: .create, since: ReadinessTests.t0)
                    )
                )
            }
        }
        // Slow lookups keep the worker restoring (not ready) long enough to scrape it.
        var faults = FakeFaults()
        faults.latency = .seconds(3)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "t"), faults: faults, logger: e2eLogger)
        let client = CurlHTTPClient(logger: e2eLogger)
        defer { client.shutdown() }
        try await api.withRunning { baseURL in
            let yaml = """
                kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: ready-gauge, session_timeout: 6s}
                sources: [{topic: ready.raw, format: alertmanager}]
                dead_letter: {topic: ready.dlq}
                pipeline: {drain_timeout: 2s}
                target: {kind: devrev, devrev: {base_url: "\(baseURL)", token: {env: READY_TOKEN}, resolved_stage: x}}
                state: {path: "\(statePath)"}
                ops: {host: 127.0.0.1, port: 0}
                """
            let app = try IngestorApp.build(
                configuration: try IngestorConfiguration.parse(yaml: yaml, environment: ["READY_TOKEN": "t"]),
                logger: e2eLogger,
                registry: PrometheusCollectorRegistry(),
                gracefulShutdownSignals: []
            )
            let running = Task { try await app.serviceGroup.run() }
            try await ReadinessTests.waitFor("the ops port") { app.status.opsPort != nil }
            let port = try #require(app.status.opsPort)
            try await ReadinessTests.waitFor("restoring") {
                let ready = await ReadinessTests.readyz(client, port)
                return ready.status == 503 && ready.codes.contains("restoring")
            }
            let restoring = try await Self.scrape(client, port)
            #expect(restoring["ingestor_ready"] == 0)
            #expect(restoring["ingestor_pending_intents"] == 3)
            try await ReadinessTests.waitFor("ready after the lookups") {
                await ReadinessTests.readyz(client, port).status == 200
            }
            let ready = try await Self.scrape(client, port)
            #expect(ready["ingestor_ready"] == 1)
            #expect(ready["ingestor_pending_intents"] == 0)
            let reconciled = ready.filter { $0.key.hasPrefix("ingestor_pending_intents_reconciled_total{") }
            #expect(reconciled.values.reduce(0, +) == 3, "\(reconciled)")
            await app.serviceGroup.triggerGracefulShutdown()
            try await running.value
        }
    }
}

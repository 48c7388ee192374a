import Foundation
import IncidentAPI
import IncidentAPIFakes
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Pipeline
import Prometheus
import ServiceLifecycle
import Testing

/// A fresh SQLite state file under the temporary directory, so tests never share or leave state in the tree.
func temporaryStatePath() -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("ingestor-test-\(UInt64.random(in: 0...UInt64.max)).sqlite").path
}

let e2eLogger: Logger = {
    var logger = Logger(label: "e2e")
    logger.logLevel = .critical
    return logger
}()

/// Unchanged groups are re-sent byte for byte: some repeats were taken from the repeat memory, not decoded again.
/// (A function of its own: the same check inline in the long test closure crashes the 6.3.1 compiler's
/// SendNonSendable pass.)
func expectRepeatsRemembered(_ stats: PipelineStats) {
    #expect(stats.repeatedPayloads > 0)
}

@Suite("End to end: Kafka in, incidents out, dead letters out", .serialized)
struct EndToEndTests {
    @Test(.timeLimit(.minutes(2)))
    func alertmanagerStormBecomesOneIncidentPerFingerprintAndMalformedBecomeDeadLetters() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 4)
        try cluster.createTopic("alerts.dlq", partitions: 2)
        var faults = FakeFaults()
        faults.failRate = 0.05
        faults.throttleEvery = 30
        faults.seed = 9
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "e2e-token"), faults: faults, logger: e2eLogger)

        try await api.withRunning { baseURL in
            // The workload: groups resent every round, annotations worsening, half resolving, malformed messages mixed in.
            let workload = DemoWorkload(groups: 15, rounds: 4, seed: 7, maxPayloadBytes: 64 * 1024)
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServerList),
                logger: e2eLogger
            )
            for message in workload.messages {
                try await producer.send(topic: "alerts.raw", key: Array(message.key.utf8), value: message.value)
            }
            await producer.close(timeout: .seconds(5))

            let yaml = """
                kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: e2e, session_timeout: 10s, commit_interval: 100ms}
                sources: [{topic: alerts.raw, format: auto}]
                dead_letter: {topic: alerts.dlq}
                pipeline: {lanes: 6, drain_timeout: 5s, retry: {max_attempts: 10, initial_backoff: 10ms, max_backoff: 200ms}}
                limits: {max_payload_bytes: 65536}
                target:
                  kind: devrev
                  devrev: {base_url: "\(baseURL)", token: {env: E2E_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
                ops: {host: 127.0.0.1, port: 0}
                state: {path: "\(temporaryStatePath())"}
                """
            let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: ["E2E_TOKEN": "e2e-token"])
            let app = try IngestorApp.build(
                configuration: configuration,
                logger: e2eLogger,
                registry: PrometheusCollectorRegistry(),
                gracefulShutdownSignals: []
            )
            let worker = Task { try await app.serviceGroup.run() }
            let deadline = ContinuousClock.now + .seconds(60)
            while app.instruments.snapshot.messagesFinished < workload.messages.count {
                try #require(ContinuousClock.now < deadline, "worker did not finish: \(app.instruments.snapshot)")
                try await Task.sleep(for: .milliseconds(20))
            }
            // The ops endpoint serves metrics while the worker runs.
            let port = try #require(app.status.opsPort)
            let client = CurlHTTPClient(logger: e2eLogger)
            defer { client.shutdown() }
            let metrics = try await client.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics"))
            let exposition = String(decoding: metrics.body, as: UTF8.self)
            #expect(exposition.contains("ingestor_dead_letters_total"))
            #expect(exposition.contains("ingestor_repeated_payloads_total"))
            expectRepeatsRemembered(app.instruments.snapshot)
            let ready = try await client.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/readyz"))
            #expect(ready.status == 200)
            await app.serviceGroup.triggerGracefulShutdown()
            try await worker.value

            // Exactly one incident per fingerprint; resolved ones resolved, the rest open.
            let incidents = api.ledger.incidents
            let byKey = Dictionary(grouping: incidents) { $0.externalReference ?? "" }
            #expect(Set(byKey.keys) == workload.expectation.allKeys)
            #expect(
                byKey.values.allSatisfy { $0.count == 1 },
                "duplicate tickets: \(byKey.filter { $0.value.count > 1 }.keys)"
            )
            #expect(
                Set(incidents.filter(\.isResolved).compactMap(\.externalReference)) == workload.expectation.resolvedKeys
            )
            for incident in incidents {
                #expect(incident.calls.first == "create")
                #expect(incident.calls.filter { $0 == "create" }.count == 1)
            }
            // Injected faults were retried, not dead-lettered.
            let injected = api.ledger.requests.filter { $0.status == 429 || $0.status == 500 }.count
            #expect(injected > 0, "the fake should have injected faults")
            #expect(app.instruments.snapshot.retries >= injected)

            // Malformed payloads are dead letters with the documented headers, original bytes and key intact.
            let letters = try await KafkaTopicReader.readAll(
                topic: "alerts.dlq",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            let malformed = workload.messages.filter { !$0.kind.hasPrefix("firing") && $0.kind != "mixed resolve" }
            #expect(letters.count == malformed.count)
            var reasons: [String: Int] = [:]
            for letter in letters {
                reasons[letter.header("ingestor-dlq-reason") ?? "?", default: 0] += 1
                #expect(letter.header("ingestor-dlq-stage") == "normalize")
                #expect(letter.header("ingestor-dlq-original-topic") == "alerts.raw")
                #expect(letter.header("ingestor-dlq-original-partition").flatMap { Int32($0) } != nil)
                #expect(letter.header("ingestor-dlq-original-offset").flatMap { Int64($0) } != nil)
                #expect(letter.header("ingestor-dlq-message")?.isEmpty == false)
                #expect(letter.header("ingestor-dlq-worker-version") == IngestorVersion.current)
                let original = try #require(malformed.first { Array($0.key.utf8) == letter.key })
                #expect(letter.value == original.value)
            }
            #expect(reasons == workload.expectation.deadLetterReasons)

            // Offsets are committed to the end of every partition.
            let ends = try await KafkaTopicReader.endOffsets(
                topic: "alerts.raw",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            #expect(ends.count == 4)
            let probe = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    bootstrapServers: cluster.bootstrapServerList,
                    groupID: "e2e"
                ),
                logger: e2eLogger
            )
            let committed = try await probe.committed(Array(ends.keys))
            try await probe.close()
            for entry in committed {
                #expect(entry.offset == ends[entry.topicPartition], "\(entry.topicPartition)")
            }
        }
    }
}

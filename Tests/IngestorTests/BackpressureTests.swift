import Foundation
import IncidentAPIFakes
import IngestorKit
import KafkaIO
import Pipeline
import Prometheus
import ServiceLifecycle
import Testing

/// The incident API down for longer than `kafka.max_poll_interval`: the worker must hold a bounded amount of work,
/// keep its partitions (no rebalance), and deliver everything once the API is back.
@Suite("Backpressure with a real consumer group", .serialized)
struct BackpressureTests {
    @Test(.timeLimit(.minutes(2)))
    func anAPIDownPastTheMaxPollIntervalPausesInsteadOfLeavingTheGroup() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("down.raw", partitions: 4)
        try cluster.createTopic("down.dlq", partitions: 1)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        let messages = 1500
        // Sent concurrently so they travel in large batches: the mock cluster answers a Fetch with one batch per
        // partition, so one-record batches would make consumption crawl.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<messages {
                let fingerprint = "down\(index)"
                let payload = """
                    {"version":"4","groupKey":"\(fingerprint)","alerts":[{"status":"firing","labels":{"alertname":"A"},\
                    "annotations":{"summary":"s \(index)"},"fingerprint":"\(fingerprint)"}]}
                    """
                group.addTask {
                    try await producer.send(topic: "down.raw", key: Array(fingerprint.utf8), value: Array(payload.utf8))
                }
            }
            try await group.waitForAll()
        }
        await producer.close(timeout: .seconds(5))

        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "down-token"), logger: e2eLogger)
        api.setDown(true)
        try await api.withRunning { baseURL in
            let yaml = """
                kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: down, session_timeout: 10s, max_poll_interval: 11s, commit_interval: 100ms}
                sources: [{topic: down.raw, format: alertmanager}]
                dead_letter: {topic: down.dlq}
                pipeline:
                  lanes: 8
                  max_in_flight_events: 40
                  drain_timeout: 3s
                  retry: {max_attempts: 1000, initial_backoff: 50ms, max_backoff: 200ms, max_elapsed: 1h}
                target:
                  kind: devrev
                  devrev: {base_url: "\(baseURL)", token: {env: DOWN_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
                  rate_limit: {per_second: 0}
                state: {path: "\(temporaryStatePath())"}
                ops: {host: 127.0.0.1, port: 0}
                """
            let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: ["DOWN_TOKEN": "down-token"])
            let app = try IngestorApp.build(
                configuration: configuration,
                logger: e2eLogger,
                registry: PrometheusCollectorRegistry(),
                gracefulShutdownSignals: []
            )
            let worker = Task { try await app.serviceGroup.run() }
            let deadline = ContinuousClock.now + .seconds(30)
            while !app.instruments.snapshot.paused {
                try #require(ContinuousClock.now < deadline, "never paused: \(app.instruments.snapshot)")
                try await Task.sleep(for: .milliseconds(20))
            }
            // Down for longer than max_poll_interval (11 s): a worker that stopped polling would be evicted. (6 s and
            // 7 s were used first; on a loaded CI machine the group once lost the member anyway, after the API was
            // back, with the heartbeat and the poll thread starved.)
            let consumedWhenPaused = app.instruments.snapshot.messagesConsumed
            var peakInFlight = 0
            let downUntil = ContinuousClock.now + .seconds(13)
            while ContinuousClock.now < downUntil {
                peakInFlight = max(peakInFlight, (app.runner?.inFlightEvents ?? 0))
                try await Task.sleep(for: .milliseconds(10))
            }
            let whileDown = app.instruments.snapshot
            #expect(peakInFlight <= 40, "in-flight work stays at the bound")
            #expect(whileDown.messagesConsumed == consumedWhenPaused, "nothing more taken in while paused")
            #expect(whileDown.messagesConsumed <= 40)
            #expect(whileDown.messagesFinished == 0)
            #expect(whileDown.revokedPartitions == 0, "no rebalance: the consumer kept polling")
            #expect(whileDown.paused)
            #expect(api.ledger.requests.count > 100, "the worker kept retrying the API")

            api.setDown(false)
            let backDeadline = ContinuousClock.now + .seconds(60)
            while app.instruments.snapshot.messagesFinished < messages {
                try #require(ContinuousClock.now < backDeadline, "not finished: \(app.instruments.snapshot)")
                try await Task.sleep(for: .milliseconds(20))
            }
            await app.serviceGroup.triggerGracefulShutdown()
            try await worker.value
            let stats = app.instruments.snapshot
            #expect(stats.created == messages)
            #expect(stats.deadLetters == 0)
            #expect(stats.revokedPartitions == 0)
            #expect(!stats.paused)
            #expect(Set(api.ledger.incidents.compactMap(\.externalReference)).count == messages)
        }
    }
}

import Foundation
import IncidentAPI
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Pipeline
import Prometheus
import ServiceLifecycle
import Testing

@testable import IngestorKit

/// `/readyz` tells the truth: each state in which the worker is not doing its job is named, and it says ready
/// again once the state is over.
@Suite("Readiness", .serialized)
struct ReadinessTests {
    // MARK: - The judgement, pure

    static let t0 = Timestamp(rfc3339: "2026-12-03T10:00:00Z")!
    static let partition = PartitionID(topic: "alerts.raw", partition: 1)

    static func snapshot(
        phase: WorkerStatus.Phase = .running,
        assigned: [PartitionID] = [partition],
        unassignedSince: Timestamp? = nil,
        oldest: [RunnerProgress.Oldest] = [],
        restoring: Bool = false,
        lastAnswer: Timestamp? = t0,
        partitions: Int = 4,
        at now: Timestamp
    ) -> Readiness.Snapshot {
        Readiness.Snapshot(
            phase: phase,
            progress: RunnerProgress(
                assigned: assigned,
                unassignedSince: unassignedSince,
                oldest: oldest,
                restoring: restoring
            ),
            broker: BrokerProbe.Reading(startedAt: t0, lastAnswerAt: lastAnswer, partitions: partitions),
            now: now
        )
    }

    @Test func eachBadStateIsNamedOnlyPastItsThreshold() {
        var settings = IngestorConfiguration.Ops.Readiness()
        settings.brokerUnreachableAfter = .seconds(30)
        settings.unassignedAfter = .seconds(60)
        settings.stuckAfter = .seconds(600)
        let readiness = Readiness(settings: settings)
        func codes(_ snapshot: Readiness.Snapshot) -> [String] { readiness.reasons(snapshot).map(\.code) }
        let t0 = Self.t0

        #expect(codes(Self.snapshot(at: t0.advanced(by: .seconds(10)))) == [])
        #expect(codes(Self.snapshot(phase: .starting, at: t0)) == ["starting"])
        #expect(codes(Self.snapshot(phase: .draining, at: t0)) == ["draining"])
        #expect(codes(Self.snapshot(restoring: true, at: t0)) == ["restoring"])
        // The broker: silent for less than the threshold is fine; never answered counts from the start.
        #expect(codes(Self.snapshot(at: t0.advanced(by: .seconds(29)))) == [])
        #expect(codes(Self.snapshot(at: t0.advanced(by: .seconds(31)))) == ["broker_unreachable"])
        #expect(
            codes(Self.snapshot(lastAnswer: nil, partitions: 0, at: t0.advanced(by: .seconds(31)))) == [
                "broker_unreachable"
            ]
        )
        // No partitions held while the topics have some; not before the threshold, not when the topics have none.
        let empty = t0
        #expect(
            codes(Self.snapshot(assigned: [], unassignedSince: empty, at: t0.advanced(by: .seconds(20)))) == []
        )
        let late = t0.advanced(by: .seconds(61))
        #expect(
            codes(Self.snapshot(assigned: [], unassignedSince: empty, lastAnswer: late, at: late)) == ["no_partitions"]
        )
        #expect(
            codes(Self.snapshot(assigned: [], unassignedSince: empty, lastAnswer: late, partitions: 0, at: late)) == []
        )
        // A partition whose oldest message has been in flight past the threshold is stuck, and is named.
        let oldest = RunnerProgress.Oldest(
            position: MessagePosition(partition: Self.partition, offset: 42),
            since: t0
        )
        let stuckAt = t0.advanced(by: .seconds(601))
        #expect(codes(Self.snapshot(oldest: [oldest], lastAnswer: stuckAt, at: t0.advanced(by: .seconds(599)))) == [])
        let stuck = readiness.reasons(Self.snapshot(oldest: [oldest], lastAnswer: stuckAt, at: stuckAt))
        #expect(stuck.map(\.code) == ["partition_stuck"])
        #expect(stuck.first?.message.contains("alerts.raw[1]") == true)
        #expect(stuck.first?.message.contains("offset 42") == true)
    }

    // MARK: - A running worker, on the embedded cluster

    struct Ready: Sendable {
        var status: Int
        var codes: [String]
    }

    static func readyz(_ client: CurlHTTPClient, _ port: Int) async -> Ready {
        guard let answer = try? await client.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/readyz"))
        else { return Ready(status: 0, codes: ["no answer"]) }
        let detail = try? JSONParser().parse(answer.body)
        let codes = detail?["reasons"]?.array?.compactMap { $0["code"]?.string } ?? []
        return Ready(status: answer.status, codes: codes)
    }

    static func waitFor(
        _ what: String,
        timeout: Duration = .seconds(30),
        _ condition: () async -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(await condition()) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func worker(_ cluster: EmbeddedKafkaCluster, group: String) throws -> IngestorApp {
        let yaml = """
            kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: \(group), session_timeout: 6s, commit_interval: 100ms}
            sources: [{topic: ready.raw, format: alertmanager}]
            dead_letter: {topic: ready.dlq}
            pipeline: {drain_timeout: 2s}
            target: {kind: devrev, devrev: {base_url: "http://127.0.0.1:9", token: {env: READY_TOKEN}, resolved_stage: x}}
            state: {path: ":memory:"}
            ops:
              host: 127.0.0.1
              port: 0
              readiness: {broker_unreachable_after: 2s, unassigned_after: 3s, stuck_after: 2s, probe_interval: 500ms}
            """
        return try IngestorApp.build(
            configuration: try IngestorConfiguration.parse(yaml: yaml, environment: ["READY_TOKEN": "t"]),
            logger: e2eLogger,
            registry: PrometheusCollectorRegistry(),
            gracefulShutdownSignals: []
        )
    }

    @Test(.timeLimit(.minutes(3)))
    func readyzNamesAStuckPartitionAnIdleMemberAndAnUnreachableBroker() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("ready.raw", partitions: 1)
        try cluster.createTopic("ready.dlq", partitions: 1)
        let client = CurlHTTPClient(logger: e2eLogger)
        defer { client.shutdown() }
        // A dead letter the broker keeps refusing: the message can be neither delivered nor dead-lettered.
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        try await producer.send(topic: "ready.raw", key: Array("k".utf8), value: Array("{not json".utf8))
        await producer.close(timeout: .seconds(5))
        cluster.injectRequestErrors(.produce, Array(repeating: .topicAuthorizationFailed, count: 10_000))
        let first = try Self.worker(cluster, group: "ready")
        let running = Task { try await first.serviceGroup.run() }
        defer { running.cancel() }
        try await Self.waitFor("the first worker's ops port") { first.status.opsPort != nil }
        let firstPort = try #require(first.status.opsPort)
        try await Self.waitFor("partition_stuck") {
            let ready = await Self.readyz(client, firstPort)
            return ready.status == 503 && ready.codes == ["partition_stuck"]
        }
        cluster.clearRequestErrors(.produce)
        try await Self.waitFor("ready once the letter is written") {
            await Self.readyz(client, firstPort).status == 200
        }
        #expect(first.instruments.snapshot.deadLetters == 1)

        // A second member of the group: one partition, so one of the two holds nothing.
        let second = try Self.worker(cluster, group: "ready")
        let runningSecond = Task { try await second.serviceGroup.run() }
        defer { runningSecond.cancel() }
        try await Self.waitFor("the second worker's ops port") { second.status.opsPort != nil }
        let secondPort = try #require(second.status.opsPort)
        try await Self.waitFor("one idle member", timeout: .seconds(40)) {
            let answers = [await Self.readyz(client, firstPort), await Self.readyz(client, secondPort)]
            return answers.filter { $0.status == 200 }.count == 1
                && answers.contains { $0.status == 503 && $0.codes == ["no_partitions"] }
        }
        await second.serviceGroup.triggerGracefulShutdown()
        _ = try? await runningSecond.value

        // The broker goes away, then comes back.
        try await Self.waitFor("the first worker holds the partition again", timeout: .seconds(40)) {
            await Self.readyz(client, firstPort).status == 200
        }
        try cluster.setBrokerDown(1)
        try await Self.waitFor("broker_unreachable") {
            await Self.readyz(client, firstPort).codes.contains("broker_unreachable")
        }
        try cluster.setBrokerUp(1)
        try await Self.waitFor("ready again with the broker back", timeout: .seconds(40)) {
            await Self.readyz(client, firstPort).status == 200
        }
        await first.serviceGroup.triggerGracefulShutdown()
        _ = try? await running.value
    }

    @Test(.timeLimit(.minutes(2)))
    func readyzSaysRestoringWhileInterruptedCreatesAreLookedUp() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("ready.raw", partitions: 1)
        try cluster.createTopic("ready.dlq", partitions: 1)
        let statePath = temporaryStatePath()
        do {
            let store = try SQLiteIncidentStateStore(path: statePath, now: Self.t0)
            for index in 0..<3 {
                try await store.save(
                    IncidentRecord(
                        target: "devrev",
                        dedupKey: "am:restore\(index)",
                        externalID: nil,
                        status: .open,
                        contentHash: 0,
                        lastEventAt: nil,
                        pending: .init(action: .create, since: Self.t0)
                    )
                )
            }
        }
        var faults = FakeFaults()
        faults.latency = .milliseconds(1500)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "t"), faults: faults, logger: e2eLogger)
        let client = CurlHTTPClient(logger: e2eLogger)
        defer { client.shutdown() }
        try await api.withRunning { baseURL in
            let yaml = """
                kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: restore, session_timeout: 6s}
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
            try await Self.waitFor("the ops port") { app.status.opsPort != nil }
            let port = try #require(app.status.opsPort)
            try await Self.waitFor("restoring") {
                let ready = await Self.readyz(client, port)
                return ready.status == 503 && ready.codes.contains("restoring")
            }
            try await Self.waitFor("ready after the lookups") { await Self.readyz(client, port).status == 200 }
            #expect(app.runner?.unsettledIntents.isEmpty == true)
            await app.serviceGroup.triggerGracefulShutdown()
            try await running.value
        }
    }
}

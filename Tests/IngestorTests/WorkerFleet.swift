import Foundation
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several `ingestor run` processes on one embedded cluster and one fake API, each
/// with a state directory of its own, as separate hosts would have.
final class WorkerFleet: @unchecked Sendable {
    let cluster: EmbeddedKafkaCluster
    let api: FakeIncidentAPIServer
    let baseURL: String
    let directory: URL
    let rawPartitions: Int
    let eventsPartitions: Int
    private var next = 0

    init(api: FakeIncidentAPIServer, baseURL: String, rawPartitions: Int = 4, eventsPartitions: Int = 8) throws {
        cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("fleet.raw", partitions: rawPartitions)
        try cluster.createTopic("fleet.dlq", partitions: 1)
        try cluster.createTopic("fleet.events", partitions: eventsPartitions)
        try cluster.createTopic("fleet.changelog", partitions: eventsPartitions)
        try cluster.createTopic("fleet.audit", partitions: eventsPartitions)
        self.api = api
        self.baseURL = baseURL
        self.rawPartitions = rawPartitions
        self.eventsPartitions = eventsPartitions
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        setenv("FLEET_TOKEN", "fleet-token", 1)
    }

    /// A worker's configuration: short session and poll timeouts, so the group notices a dead or paused member in
    /// seconds (and the mock cluster's rebalances do not wait minutes for one).
    func configuration(state: String, rateLimit: String) -> String {
        """
        kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: fleet, session_timeout: 6s, max_poll_interval: 12s, commit_interval: 500ms, events_topic: fleet.events, changelog_topic: fleet.changelog, audit_topic: fleet.audit}
        sources: [{topic: fleet.raw, format: alertmanager}]
        dead_letter: {topic: fleet.dlq}
        pipeline: {drain_timeout: 3s, pause_after: 500ms, skip_repeats_for: 0s}
        target:
          kind: devrev
          devrev: {base_url: "\(baseURL)", token: {env: FLEET_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)", request_timeout: 60s}
          rate_limit: \(rateLimit)
        state: {path: "\(state)"}
        ops: {host: 127.0.0.1, port: 0}
        logging: {level: debug}
        """
    }

    /// Starts a worker with an empty state directory of its own.
    /// - Parameter stages: `--stage` arguments; default none (both stages, what `ingestor run` does).
    func start(
        stages: [String] = [],
        rateLimit: String = "{per_second: 0}"
    ) throws -> WorkerProcess {
        next += 1
        let home = directory.appendingPathComponent("worker-\(next)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let configPath = home.appendingPathComponent("ingestor.yaml").path
        try configuration(state: home.appendingPathComponent("state.sqlite").path, rateLimit: rateLimit)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        return try WorkerProcess(
            configPath: configPath,
            logPath: home.appendingPathComponent("worker.log").path,
            arguments: stages.flatMap { ["--stage", $0] }
        )
    }

    /// One Alertmanager notification for `key`.
    static func alert(_ key: String, status: String, summary: String, severity: String = "warning") -> [UInt8] {
        Array(
            """
            {"version":"4","status":"\(status)","groupKey":"g-\(key)","alerts":[{"status":"\(status)",\
            "labels":{"alertname":"Fleet","instance":"\(key)","severity":"\(severity)"},"annotations":{"summary":"\(summary)"},\
            "startsAt":"2026-12-03T08:00:00Z","endsAt":"\(status == "resolved" ? "2026-12-03T09:00:00Z" : "0001-01-01T00:00:00Z")",\
            "fingerprint":"\(key)"}]}
            """.utf8
        )
    }

    /// Produces records, each to the partition given (or chosen by its key when `nil`).
    func produce(_ records: [(key: String, partition: Int32?, value: [UInt8])]) async throws {
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        for record in records {
            try await producer.send(
                topic: "fleet.raw",
                partition: record.partition,
                key: Array(record.key.utf8),
                value: record.value
            )
        }
        await producer.close(timeout: .seconds(5))
    }

    /// Polls `condition` until it holds, failing with the workers' log tails after `timeout`.
    func waitFor(
        _ what: String,
        timeout: Duration = .seconds(90),
        workers: [WorkerProcess] = [],
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(try await condition()) {
            guard ContinuousClock.now < deadline else {
                let logs = workers.map { String($0.log.suffix(2500)) }.joined(separator: "\n---\n")
                Issue.record("timed out waiting for \(what); logs:\n\(logs)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// SIGSTOP or SIGCONT.
    static func signal(_ worker: WorkerProcess, _ signal: Int32) {
        kill(worker.process.processIdentifier, signal)
    }
}

import Foundation
import IncidentAPIFakes
import KafkaIO
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Several workers (issue 16): the same input through the whole job in one process (`--stage all`, the state in
/// one file), through one process running both stages over Kafka (`--stage normalize --stage deliver`), and through
/// two such processes in one consumer group. Every key fires, is updated and resolves: three target calls each.
extension IngestorBench {
    /// One way of running the job.
    struct WorkersMode {
        var name: String
        var processes: Int
        var arguments: [String]
    }

    /// What one mode's run measured.
    struct WorkersResult {
        var wallSeconds: Double
        var cpuSeconds: Double
        var calls: Int
        var incidents: Int
    }

    func workers(keys: Int, logger: Logger) async throws {
        let modes = [
            WorkersMode(name: "in-process, 1 worker ", processes: 1, arguments: ["--stage", "all"]),
            WorkersMode(
                name: "two-stage,  1 worker ",
                processes: 1,
                arguments: ["--stage", "normalize", "--stage", "deliver"]
            ),
            WorkersMode(
                name: "two-stage,  2 workers",
                processes: 2,
                arguments: ["--stage", "normalize", "--stage", "deliver"]
            ),
        ]
        var results: [WorkersResult] = []
        for mode in modes {
            let result = try await workersRun(mode, keys: keys, logger: logger)
            results.append(result)
            print(
                String(
                    format:
                        "workers %@ %6d keys %6d records  %6.2f s wall from the first call  %9.0f records/s  %6.2f s cpu (all workers)  %6d calls  %d incidents",
                    mode.name,
                    keys,
                    keys * 3,
                    result.wallSeconds,
                    Double(keys * 3) / result.wallSeconds,
                    result.cpuSeconds,
                    result.calls,
                    result.incidents
                )
            )
        }
        print(
            String(
                format:
                    "workers          two workers %.2f× one (throughput); two-stage CPU %.2f× the in-process path's",
                results[1].wallSeconds / results[2].wallSeconds,
                results[1].cpuSeconds / results[0].cpuSeconds
            )
        )
    }

    private func workersRun(_ mode: WorkersMode, keys: Int, logger: Logger) async throws -> WorkersResult {
        let partitions = 16
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        for topic in ["workers.raw", "workers.events", "workers.changelog", "workers.audit"] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        try cluster.createTopic("workers.raw.dlq", partitions: 1)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "bench"), logger: logger)
        return try await api.withRunning { baseURL in
            setenv("BENCH_TOKEN", "bench", 1)
            let group = "bench-workers-\(UInt32.random(in: 0...UInt32.max))"
            var workers: [BenchWorker] = []
            defer { for worker in workers where worker.process.isRunning { _ = worker.stop() } }
            for _ in 0..<mode.processes {
                let yaml = """
                    kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: \(group), session_timeout: 10s, commit_interval: 500ms, events_topic: workers.events, changelog_topic: workers.changelog, audit_topic: workers.audit}
                    sources: [{topic: workers.raw, format: alertmanager}]
                    dead_letter: {topic: workers.raw.dlq}
                    pipeline: {lanes: 16, max_in_flight_events: 4000, drain_timeout: 5s}
                    target:
                      kind: devrev
                      devrev: {base_url: "\(baseURL)", token: {env: BENCH_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
                      rate_limit: {per_second: 100000, burst: 1000}
                    state: {path: "\(BenchWorker.statePath())"}
                    ops: {host: 127.0.0.1, port: 0}
                    logging: {level: info}
                    """
                workers.append(try BenchWorker(yaml: yaml, arguments: mode.arguments, logger: logger))
            }
            // Every worker in the group with its share of the partitions before the input arrives: the figures are
            // the steady state, not the group's first join (about 3 s on the mock) nor the rebalance a late joiner
            // causes.
            let expected = partitions * (mode.arguments.contains("deliver") ? 2 : 1)
            let settleBy = ContinuousClock.now + .seconds(120)
            while true {
                var held: [Int] = []
                for worker in workers { held.append(await worker.partitionsHeld() ?? 0) }
                if held.reduce(0, +) == expected, held.allSatisfy({ $0 > 0 }) { break }
                guard ContinuousClock.now < settleBy else {
                    throw BenchError(
                        "the group did not settle (\(held)): \(workers.map(\.logTail).joined(separator: "\n"))"
                    )
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let cpuBefore = workers.map(\.cpuSeconds).reduce(0, +)
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList),
                logger: logger
            )
            // Each key's firing, its update (worse severity, new summary) and its resolve, keyed by the alert as a relay
            // keyed by fingerprint would send them; the rounds follow each other, so a key's records stay in order.
            for (round, status, severity) in [
                (0, "firing", "warning"), (1, "firing", "critical"), (2, "resolved", "critical"),
            ] {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for lane in 0..<64 {
                        group.addTask {
                            for index in stride(from: lane, to: keys, by: 64) {
                                let fingerprint = "w\(index)"
                                let payload =
                                    #"{"version":"4","groupKey":"g\#(index)","status":"\#(status)","receiver":"r","alerts":[{"status":"\#(status)","labels":{"alertname":"DiskFull","instance":"host-\#(index)","severity":"\#(severity)"},"annotations":{"summary":"disk \#(round == 0 ? "filling" : "full") on host-\#(index)"},"startsAt":"2026-12-03T08:00:00Z","endsAt":"\#(status == "resolved" ? "2026-12-03T08:30:00Z" : "0001-01-01T00:00:00Z")","fingerprint":"\#(fingerprint)"}]}"#
                                try await producer.send(
                                    topic: "workers.raw",
                                    key: Array(fingerprint.utf8),
                                    value: Array(payload.utf8)
                                )
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            await producer.close(timeout: .seconds(10))

            let deadline = ContinuousClock.now + .seconds(600)
            var firstCall: ContinuousClock.Instant?
            while true {
                let now = ContinuousClock.now
                if firstCall == nil, !api.ledger.requests.isEmpty { firstCall = now }
                if api.ledger.incidents.lazy.filter(\.isResolved).count >= keys { break }
                for worker in workers where !worker.process.isRunning {
                    throw BenchError("a worker exited: \(worker.logTail)")
                }
                guard now < deadline else {
                    throw BenchError("not every key resolved: \(workers.map(\.logTail).joined(separator: "\n"))")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let end = ContinuousClock.now
            let cpu = workers.map(\.cpuSeconds).reduce(0, +) - cpuBefore
            for worker in workers { _ = worker.stop() }
            return WorkersResult(
                wallSeconds: (end - (firstCall ?? end)).seconds,
                cpuSeconds: cpu,
                calls: api.ledger.requests.count,
                incidents: api.ledger.incidents.count
            )
        }
    }
}

import Foundation
import IncidentAPI
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Testing

/// The safety net for lost state, with real processes: a worker that has no state for a key looks it up at the
/// target before it creates an incident or ignores a resolve (`pipeline.lookup_unknown_keys`, on by default).
@Suite("Lost state: lookup before create", .serialized)
struct LostStateTests {
    /// The fake's incidents whose external reference is the alert `key`'s dedup key.
    static func incidents(_ api: FakeIncidentAPIServer, _ key: String) -> [FakeLedger.Incident] {
        api.ledger.incidents.filter { $0.externalReference == "am:\(key)" }
    }

    /// Lookups the fake answered (`incidents.list`).
    static func lookups(_ api: FakeIncidentAPIServer) -> Int {
        api.ledger.requests.filter { $0.path.hasSuffix("/incidents.list") }.count
    }

    /// `ingestor run --stage all` (its state only in the file; the default stages would restore a wiped file from the
    /// changelog) opens three incidents and resolves one; its state file is deleted; started again on the same
    /// group, it receives a worse firing for an open key, a resolve for another open key, a firing for the key whose
    /// incident is closed, and a firing for a new key. The open incidents are updated and resolved (none created
    /// twice); the closed one is left alone and a new incident opened, as without the lookup.
    @Test(.timeLimit(.minutes(3)))
    func aWorkerWhoseStateFileIsWipedUpdatesAndResolvesTheOpenIncidentsItFinds() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 2)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "crash-token"), logger: e2eLogger)
        setenv("CRASH_TOKEN", "crash-token", 1)
        try await api.withRunning { baseURL in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lost-state-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let statePath = directory.appendingPathComponent("state.sqlite").path
            let configPath = directory.appendingPathComponent("ingestor.yaml").path
            let logPath = directory.appendingPathComponent("worker.log").path
            try CrashSafetyTests.configuration(
                bootstrap: cluster.bootstrapServers,
                targetYAML: CrashSafetyTests.devrevTarget(baseURL),
                statePath: statePath
            )
            .write(toFile: configPath, atomically: true, encoding: .utf8)
            let fleet = RawProducer(cluster: cluster, topic: "alerts.raw")

            try await fleet.produce([
                ("lost-a", "firing", "disk full"), ("lost-b", "firing", "disk full"),
                ("lost-c", "firing", "disk full"), ("lost-c", "resolved", "disk full"),
            ])
            let first = try WorkerProcess(configPath: configPath, logPath: logPath, arguments: ["--stage", "all"])
            try await waitFor("three incidents, one resolved", worker: first) {
                api.ledger.incidents.count == 3 && Self.incidents(api, "lost-c").first?.isResolved == true
            }
            try await Task.sleep(for: .seconds(1))
            #expect(first.terminate() == 0, "\(first.log.suffix(2000))")
            #expect(Self.lookups(api) == 3, "the first run looked each new key up once")

            // The disk is wiped: the worker starts with no state; the group's offsets are kept.
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: statePath + suffix) }
            try await fleet.produce([
                ("lost-a", "firing", "disk full, and growing"), ("lost-b", "resolved", "disk full"),
                ("lost-c", "firing", "disk full again"), ("fresh-d", "firing", "disk full"),
            ])
            let second = try WorkerProcess(configPath: configPath, logPath: logPath, arguments: ["--stage", "all"])
            try await waitFor("the second run's work", worker: second) {
                api.ledger.incidents.count >= 5 && Self.incidents(api, "lost-b").first?.isResolved == true
                    && Self.incidents(api, "lost-a").first?.calls.count == 2
            }
            try await Task.sleep(for: .seconds(1))
            #expect(second.terminate() == 0, "\(second.log.suffix(2000))")

            #expect(api.ledger.incidents.count == 5, "\(api.ledger.incidents.map { ($0.externalReference, $0.calls) })")
            #expect(Self.incidents(api, "lost-a").map(\.calls) == [["create", "update"]], "updated, not duplicated")
            #expect(
                Self.incidents(api, "lost-a").first?.fields["title"]?.string?.hasSuffix("disk full, and growing")
                    == true
            )
            #expect(Self.incidents(api, "lost-b").map(\.calls) == [["create", "resolve"]], "resolved, not orphaned")
            #expect(
                Self.incidents(api, "lost-c").map(\.calls) == [["create", "resolve"], ["create"]],
                "a closed incident is left alone: the firing opens a new one, as without the lookup"
            )
            #expect(Self.incidents(api, "fresh-d").map(\.calls) == [["create"]])
            #expect(Self.lookups(api) == 3 + 4, "one lookup per key new to the (wiped) state")
            #expect(second.log.contains("adopted, nothing created"))
        }
    }

    /// The delivery stage (`--stage normalize --stage deliver`, partitioned state with a changelog) on a fresh
    /// cluster: a changelog that knows nothing of incidents opened earlier (by a worker whose changelog was lost).
    @Test(.timeLimit(.minutes(3)))
    func theDeliveryStageWithNoChangelogFindsTheOpenIncidentsToo() async throws {
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "fleet-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let fleet = try WorkerFleet(api: api, baseURL: baseURL, rawPartitions: 2, eventsPartitions: 4)
            // Incidents opened before the state was lost, by the same adapter the worker uses.
            let client = CurlHTTPClient(logger: e2eLogger)
            defer { client.shutdown() }
            var configuration = DevRevConfiguration(
                token: Secret("fleet-token"),
                resolvedStage: FakeDevRevAPI.stages["resolved"]!
            )
            configuration.baseURL = baseURL
            let adapter = DevRevTarget(configuration: configuration, client: client, logger: e2eLogger)
            var opened: [String: String] = [:]
            for key in ["lost-a", "lost-b", "lost-c"] {
                let event = NormalizedEvent(
                    source: "alertmanager",
                    dedupKey: "am:\(key)",
                    status: .firing,
                    severity: .medium,
                    title: "disk full",
                    description: ""
                )
                let created = await adapter.execute(
                    IncidentCommand(action: .create, dedupKey: "am:\(key)", event: event, reason: "before the loss")
                )
                guard case .success(let id?, _) = created else {
                    Issue.record("seeding \(key) failed: \(created)")
                    return
                }
                opened[key] = id
            }
            var closing = NormalizedEvent(
                source: "alertmanager",
                dedupKey: "am:lost-c",
                status: .resolved,
                severity: .medium,
                title: "disk full",
                description: ""
            )
            closing.resolvedAt = Timestamp(rfc3339: "2026-12-03T09:00:00Z")
            let resolved = await adapter.execute(
                IncidentCommand(
                    action: .resolve,
                    dedupKey: "am:lost-c",
                    externalID: opened["lost-c"],
                    event: closing,
                    reason: "before the loss"
                )
            )
            #expect(resolved.failure == nil)
            let requestsBefore = api.ledger.requests.count

            try await fleet.produce(
                [
                    (
                        "lost-a", nil,
                        WorkerFleet.alert("lost-a", status: "firing", summary: "worse", severity: "critical")
                    ),
                    ("lost-b", nil, WorkerFleet.alert("lost-b", status: "resolved", summary: "disk full")),
                    ("lost-c", nil, WorkerFleet.alert("lost-c", status: "firing", summary: "again")),
                    ("fresh-d", nil, WorkerFleet.alert("fresh-d", status: "firing", summary: "new")),
                ]
            )
            let worker = try fleet.start()
            try await fleet.waitFor("the events delivered", workers: [worker]) {
                api.ledger.incidents.count >= 5 && Self.incidents(api, "lost-b").first?.isResolved == true
                    && Self.incidents(api, "lost-a").first?.calls.count == 2
            }
            try await Task.sleep(for: .seconds(1))
            #expect(worker.terminate() == 0, "\(worker.log.suffix(2000))")

            #expect(api.ledger.incidents.count == 5, "\(api.ledger.incidents.map { ($0.externalReference, $0.calls) })")
            #expect(Self.incidents(api, "lost-a").map(\.calls) == [["create", "update"]])
            #expect(Self.incidents(api, "lost-a").first?.id == opened["lost-a"])
            #expect(Self.incidents(api, "lost-b").map(\.calls) == [["create", "resolve"]])
            #expect(Self.incidents(api, "lost-c").map(\.calls) == [["create", "resolve"], ["create"]])
            #expect(Self.incidents(api, "fresh-d").map(\.calls) == [["create"]])
            let lookups = api.ledger.requests.dropFirst(requestsBefore).filter { $0.path.hasSuffix("/incidents.list") }
            #expect(lookups.count == 4, "one lookup per key with no state")
        }
    }

    /// Polls `condition` for up to 60 s, failing with the worker's log tail.
    private func waitFor(_ what: String, worker: WorkerProcess, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what); worker log tail:\n\(worker.log.suffix(3000))")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A worker that ran `--stage all` (its state only in the file) moved to the default two stages on the same
/// configuration and disk: the file's state is handed to the changelog, so a worker on another host, with an empty
/// disk, updates and resolves the open incidents and creates none again, with the lost-state lookup off (nothing else
/// could find them).
@Suite("Moving from --stage all", .serialized)
struct MovingFromStageAllTests {
    @Test(.timeLimit(.minutes(3)))
    func theDefaultStagesTakeUpTheIncidentsAStageAllWorkerOpened() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 2)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        // Made here: the mock cluster does not answer CreateTopics.
        try cluster.createTopic("move.events", partitions: 4)
        try cluster.createTopic("move.changelog", partitions: 4)
        try cluster.createTopic("move.audit", partitions: 1)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "crash-token"), logger: e2eLogger)
        setenv("CRASH_TOKEN", "crash-token", 1)
        try await api.withRunning { baseURL in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("move-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let configPath = directory.appendingPathComponent("ingestor.yaml").path
            let logPath = directory.appendingPathComponent("worker.log").path
            try """
            kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: move, session_timeout: 6s, commit_interval: 100ms}
            sources: [{topic: alerts.raw, format: alertmanager}]
            dead_letter: {topic: alerts.dlq}
            pipeline: {drain_timeout: 3s, lookup_unknown_keys: false}
            \(CrashSafetyTests.devrevTarget(baseURL))
            state: {path: "\(directory.appendingPathComponent("state.sqlite").path)"}
            ops: {host: 127.0.0.1, port: 0}
            logging: {level: info}
            """
            .write(toFile: configPath, atomically: true, encoding: .utf8)
            let keys = (0..<10).map { "move-\($0)" }
            let raw = RawProducer(cluster: cluster, topic: "alerts.raw")

            try await raw.produce(keys.map { ($0, "firing", "cpu high") })
            let old = try WorkerProcess(configPath: configPath, logPath: logPath, arguments: ["--stage", "all"])
            try await Self.waitFor("ten incidents", worker: old) { api.ledger.incidents.count == keys.count }
            try await Task.sleep(for: .milliseconds(500))
            #expect(old.terminate() == 0, "\(old.log.suffix(2000))")

            // The default stages start on the old worker's disk and hand its file to the changelog.
            let moved = try WorkerProcess(configPath: configPath, logPath: logPath)
            try await Self.waitFor("every partition restored", worker: moved) {
                moved.log.components(separatedBy: "restored move.events[").count - 1 >= 4
            }
            #expect(moved.terminate() == 0, "\(moved.log.suffix(2000))")

            // Another host, with an empty disk, takes the partitions: it knows the incidents from the changelog only.
            let elsewhere = directory.appendingPathComponent("elsewhere.yaml").path
            try String(contentsOfFile: configPath, encoding: .utf8)
                .replacingOccurrences(of: "state.sqlite", with: "elsewhere.sqlite")
                .write(toFile: elsewhere, atomically: true, encoding: .utf8)
            try await raw.produce(
                keys.prefix(5).map { ($0, "resolved", "cpu high") }
                    + keys.suffix(5).map { ($0, "firing", "cpu higher") }
            )
            let new = try WorkerProcess(configPath: elsewhere, logPath: logPath)
            try await Self.waitFor("five resolved and five updated", worker: new) {
                api.ledger.incidents.filter(\.isResolved).count == 5
                    && api.ledger.incidents.filter { $0.calls == ["create", "update"] }.count == 5
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(new.terminate() == 0, "\(new.log.suffix(2000))")

            #expect(api.ledger.incidents.count == keys.count, "no incident opened twice")
            for key in keys.prefix(5) {
                #expect(LostStateTests.incidents(api, key).map(\.calls) == [["create", "resolve"]])
            }
            for key in keys.suffix(5) {
                #expect(LostStateTests.incidents(api, key).map(\.calls) == [["create", "update"]])
            }
            #expect(LostStateTests.lookups(api) == 0, "the safety net was off: the handed-over state did it")
            #expect(moved.log.contains("left in the state file by a --stage all worker, over to the changelog"))
        }
    }

    private static func waitFor(_ what: String, worker: WorkerProcess, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what); worker log tail:\n\(worker.log.suffix(3000))")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Alertmanager notifications to one topic, each keyed (and so partitioned) by its alert's key.
private struct RawProducer {
    let cluster: EmbeddedKafkaCluster
    let topic: String

    func produce(_ alerts: [(key: String, status: String, summary: String)]) async throws {
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        for alert in alerts {
            try await producer.send(
                topic: topic,
                key: Array(alert.key.utf8),
                value: WorkerFleet.alert(alert.key, status: alert.status, summary: alert.summary)
            )
        }
        await producer.close(timeout: .seconds(5))
    }
}

import Foundation
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Pipeline
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ingestor run` as a real child process, its output in a log file (a pipe nobody reads would block it).
final class WorkerProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String
    let configPath: String

    init(configPath: String, logPath: String, arguments: [String] = []) throws {
        self.logPath = logPath
        self.configPath = configPath
        // Appended to, never truncated: a test that restarts a worker keeps every earlier process's log, which is the
        // one that shows what a later failure came from.
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        process.executableURL = ingestorBinary
        process.arguments = ["run", "--config", configPath] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// A worker a failed test left running is killed with it.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// `kill -9`: no drain, no commit, no flush.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait: the graceful shutdown. A stopped worker (a failed test that left it SIGSTOPped) is continued
    /// too, or the wait would never end.
    func terminate() -> Int32 {
        process.terminate()
        kill(process.processIdentifier, SIGCONT)
        process.waitUntilExit()
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// The worker's whole path through crashes: real processes, the embedded cluster, a fake API on loopback.
@Suite("Crash safety: kill -9 mid-stream", .serialized)
struct CrashSafetyTests {
    static let keys = 200

    /// Per key, in this order across the stream, all with the same start time: firing, the same again, worse (a new
    /// severity and title), resolved. A redelivered older message must never take an incident back.
    /// - Parameter keyByKey: one key's firing messages in a row, the resolves at the end (so a redelivery after a kill
    ///   holds a key's older messages next to newer ones already applied) instead of one phase of every key after
    ///   the other.
    static func produceWorkload(to cluster: EmbeddedKafkaCluster, keyByKey: Bool = false) async throws {
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        let phases = [
            (0, "firing", "warning"), (1, "firing", "warning"), (2, "firing", "critical"), (3, "resolved", "critical"),
        ]
        let order =
            keyByKey
            ? (0..<keys).flatMap { index in phases.prefix(3).map { ($0, index) } } + (0..<keys).map { (phases[3], $0) }
            : phases.flatMap { phase in (0..<keys).map { (phase, $0) } }
        for ((phase, status, severity), index) in order {
            let fingerprint = String(format: "crash%04d", index)
            let payload = """
                {"version":"4","status":"\(status)","groupKey":"g\(index)","alerts":[{"status":"\(status)",\
                "labels":{"alertname":"DiskFull","instance":"node-\(index)","severity":"\(severity)"},\
                "annotations":{"summary":"\(title(index, worse: phase >= 2))"},"startsAt":"2026-11-24T08:00:00Z",\
                "endsAt":"\(status == "resolved" ? "2026-11-24T09:00:00Z" : "0001-01-01T00:00:00Z")",\
                "fingerprint":"\(fingerprint)"}]}
                """
            try await producer.send(topic: "alerts.raw", key: Array(fingerprint.utf8), value: Array(payload.utf8))
        }
        await producer.close(timeout: .seconds(5))
    }

    /// The fake DevRev API as the target, without a rate limit.
    @Sendable static func devrevTarget(_ baseURL: String) -> String {
        """
        target:
          kind: devrev
          devrev: {base_url: "\(baseURL)", token: {env: CRASH_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
          rate_limit: {per_second: 0}
        """
    }

    static func title(_ index: Int, worse: Bool) -> String {
        "disk full on node-\(index)\(worse ? ", and growing" : "")"
    }

    /// Keys whose incident went back to an older title after showing a newer one.
    static func rolledBack(_ incidents: [FakeLedger.Incident]) -> [String] {
        incidents.compactMap { incident in
            let titles = incident.history.compactMap { $0["title"]?.string ?? $0["subject"]?.string }
            guard let worse = titles.firstIndex(where: { $0.hasSuffix(", and growing") }) else { return nil }
            return titles[worse...].allSatisfy { $0.hasSuffix(", and growing") } ? nil : incident.externalReference
        }
    }

    static func configuration(
        bootstrap: String,
        targetYAML: String,
        statePath: String,
        commitInterval: String = "100ms"
    ) -> String {
        """
        kafka: {bootstrap_servers: "\(bootstrap)", group_id: crash, session_timeout: 6s, commit_interval: \(commitInterval)}
        sources: [{topic: alerts.raw, format: alertmanager}]
        dead_letter: {topic: alerts.dlq}
        pipeline: {lanes: \(lanes), drain_timeout: 3s, retry: {max_attempts: 20, initial_backoff: 20ms, max_backoff: 500ms}}
        \(targetYAML)
        state: {path: "\(statePath)"}
        ops: {host: 127.0.0.1, port: 0}
        logging: {level: info}
        """
    }

    static let lanes = 8

    /// What a scenario leaves behind for the assertions.
    struct Outcome {
        var statePath: String
        var log: String
        var createdAtFirstKill: Int
        var letters: [KafkaMessage]
    }

    /// Runs `ingestor run` against `api`, `kill -9`s it at each of `killPoints` (one condition each, on the fake's
    /// ledger), restarts it, and finally lets it finish every key and stops it gracefully.
    static func runScenario(
        api: FakeIncidentAPIServer,
        targetYAML: @Sendable (String) -> String,
        killPoints: [(String, @Sendable (FakeLedger) -> Bool)],
        keyByKey: Bool = false,
        commitInterval: String = "100ms"
    ) async throws -> Outcome {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 4)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        try await produceWorkload(to: cluster, keyByKey: keyByKey)
        return try await api.withRunning { baseURL in
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("crash-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let statePath = directory.appendingPathComponent("state.sqlite").path
            let configPath = directory.appendingPathComponent("ingestor.yaml").path
            try configuration(
                bootstrap: cluster.bootstrapServers,
                targetYAML: targetYAML(baseURL),
                statePath: statePath,
                commitInterval: commitInterval
            )
            .write(toFile: configPath, atomically: true, encoding: .utf8)
            let logPath = directory.appendingPathComponent("worker.log").path
            let ledger = api.ledger

            func waitFor(_ what: String, timeout: Duration = .seconds(60), _ condition: () -> Bool) async throws {
                let deadline = ContinuousClock.now + timeout
                while !condition() {
                    guard ContinuousClock.now < deadline else {
                        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                        Issue.record("timed out waiting for \(what); worker log tail:\n\(log.suffix(3000))")
                        throw CancellationError()
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
            }

            var createdAtFirstKill = 0
            for (index, (what, condition)) in killPoints.enumerated() {
                let worker = try WorkerProcess(configPath: configPath, logPath: logPath)
                try await waitFor(what) { condition(ledger) }
                worker.kill9()
                if index == 0 { createdAtFirstKill = ledger.incidents.count }
            }
            let last = try WorkerProcess(configPath: configPath, logPath: logPath)
            let keys = keys
            try await waitFor("every key resolved", timeout: .seconds(90)) {
                Set(ledger.incidents.filter(\.isResolved).compactMap(\.externalReference)).count == keys
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(last.terminate() == 0, "graceful stop: \(last.log.suffix(2000))")
            let letters = try await KafkaTopicReader.readAll(
                topic: "alerts.dlq",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            return Outcome(
                statePath: statePath,
                log: last.log,
                createdAtFirstKill: createdAtFirstKill,
                letters: letters
            )
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func killedMidStreamTwiceLosesNothingAndOpensNoSecondTicket() async throws {
        var faults = FakeFaults()
        // The API acts, then answers 25 ms later: a kill in that window loses the id of an incident that exists.
        faults.answerDelay = .milliseconds(25)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "crash-token"), faults: faults, logger: e2eLogger)
        setenv("CRASH_TOKEN", "crash-token", 1)
        let keys = Self.keys
        let outcome = try await Self.runScenario(
            api: api,
            targetYAML: Self.devrevTarget,
            killPoints: [
                ("a quarter of the creates", { $0.incidents.count >= keys / 4 }),
                ("resolves to start", { $0.incidents.filter(\.isResolved).count >= keys / 5 }),
            ]
        )
        #expect(outcome.createdAtFirstKill < keys, "killed mid-stream, not after the creates")

        // No second ticket for any key, none lost, every one brought to its last state.
        let incidents = api.ledger.incidents
        let byKey = Dictionary(grouping: incidents) { $0.externalReference ?? "" }
        #expect(byKey.count == keys)
        #expect(
            byKey.values.allSatisfy { $0.count == 1 },
            "duplicate tickets: \(byKey.filter { $0.value.count > 1 }.keys.sorted().prefix(10))"
        )
        #expect(incidents.allSatisfy { $0.isResolved })
        #expect(incidents.allSatisfy { $0.calls.filter { $0 == "create" }.count == 1 })
        // Redelivered older messages (same start time, earlier offsets) were dropped as stale, never sent.
        #expect(Self.rolledBack(incidents).isEmpty, "rolled back: \(Self.rolledBack(incidents).prefix(10))")
        #expect(
            incidents.allSatisfy { $0.history.contains { $0["title"]?.string?.hasSuffix(", and growing") == true } }
        )

        // The first kill left creates whose answer was lost; the restart found them by lookup.
        let store = try SQLiteIncidentStateStore(path: outcome.statePath, now: Timestamp(millisecondsSinceEpoch: 0))
        let reconciled = try store.decisions(limit: 100_000).filter { $0.decision.hasPrefix("reconcile") }
        #expect(reconciled.contains { $0.decision == "reconcile_found" }, "a create in flight at the kill")
        #expect(try await store.pendingIntents(target: "devrev").isEmpty)
        #expect(try store.counts(target: "devrev").resolved == keys)
        #expect(outcome.letters.isEmpty, "nothing dead-lettered: every alert reached the API")
    }

    /// A kill -9 with a long commit interval: every message since the last commit is redelivered, older ones of a
    /// key next to newer ones already applied, all with the same start time. None may take an incident back.
    @Test(.timeLimit(.minutes(3)))
    func redeliveryAfterAKillNeverTakesAnIncidentBack() async throws {
        var faults = FakeFaults()
        faults.answerDelay = .milliseconds(10)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "crash-token"), faults: faults, logger: e2eLogger)
        setenv("CRASH_TOKEN", "crash-token", 1)
        let keys = Self.keys
        let outcome = try await Self.runScenario(
            api: api,
            targetYAML: Self.devrevTarget,
            killPoints: [
                (
                    "half of the keys worse",
                    { ledger in
                        ledger.incidents.filter { $0.fields["title"]?.string?.hasSuffix(", and growing") == true }.count
                            >= keys / 2
                    }
                )
            ],
            keyByKey: true,
            commitInterval: "30s"
        )
        let incidents = api.ledger.incidents
        #expect(Set(incidents.compactMap(\.externalReference)).count == keys)
        #expect(incidents.count == keys, "no second ticket")
        #expect(incidents.allSatisfy { $0.isResolved })
        #expect(Self.rolledBack(incidents).isEmpty, "rolled back: \(Self.rolledBack(incidents).prefix(10))")
        let store = try SQLiteIncidentStateStore(path: outcome.statePath, now: Timestamp(millisecondsSinceEpoch: 0))
        let stale = try store.decisions(limit: 100_000).filter { $0.decision == "stale" }
        #expect(
            stale.contains { $0.reason.contains("a redelivery") },
            "redelivered older messages were dropped as stale"
        )
        #expect(outcome.letters.isEmpty)
    }

    @Test(.timeLimit(.minutes(3)))
    func withoutLookupAKillDuplicatesAtMostTheCreatesInFlight() async throws {
        var faults = FakeFaults()
        faults.answerDelay = .milliseconds(25)
        let motadata = FakeMotadataAPI(apiKey: "crash-key", variants: [.requestAPI])
        let api = FakeIncidentAPIServer(api: motadata, faults: faults, logger: e2eLogger)
        setenv("CRASH_MOTADATA_KEY", "crash-key", 1)
        let keys = Self.keys
        let outcome = try await Self.runScenario(
            api: api,
            targetYAML: { baseURL in
                """
                target:
                  kind: motadata
                  motadata:
                    base_url: "\(baseURL)"
                    api: request
                    requester_email: ingestor@example.com
                    dedup_key_field: Alert Key
                    auth: {type: apikey, key: {env: CRASH_MOTADATA_KEY}}
                  rate_limit: {per_second: 0}
                """
            },
            killPoints: [("a quarter of the creates", { $0.incidents.count >= keys / 4 })]
        )
        #expect(outcome.createdAtFirstKill < keys)
        let incidents = api.ledger.incidents
        let byKey = Dictionary(grouping: incidents) { $0.externalReference ?? "" }
        #expect(byKey.count == keys, "no key lost")
        // The documented bound: one extra incident per create in flight at a kill, at most one per lane.
        let extra = incidents.count - keys
        #expect(extra >= 0 && extra <= Self.lanes, "\(extra) duplicates for one kill with \(Self.lanes) lanes")
        #expect(outcome.log.contains("cannot look incidents up"), "the unverifiable creates are reported")
        #expect(Self.rolledBack(incidents).isEmpty, "rolled back: \(Self.rolledBack(incidents).prefix(10))")
        let store = try SQLiteIncidentStateStore(path: outcome.statePath, now: Timestamp(millisecondsSinceEpoch: 0))
        #expect(try await store.pendingIntents(target: "motadata").isEmpty)
        #expect(try store.counts(target: "motadata").resolved == keys, "each key's recorded incident is resolved")
        #expect(outcome.letters.isEmpty)
    }
}

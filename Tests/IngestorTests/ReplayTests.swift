import Foundation
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Pipeline
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Dead letters and replay with real processes (`ingestor run`, `ingestor dlq`, `ingestor replay`), the embedded
/// cluster and a fake DevRev API on loopback.
@Suite("Dead letters and replay", .serialized)
struct ReplayTests {
    static let keys = 20
    static let resolvedKeys = 10

    /// A scratch directory with a configuration for the worker and replay.
    struct Setup {
        var directory: URL
        var configPath: String
        var statePath: String

        init(bootstrap: String, baseURL: String, extraDeadLetter: String = "") throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("replay-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            statePath = directory.appendingPathComponent("state.sqlite").path
            configPath = directory.appendingPathComponent("ingestor.yaml").path
            try """
            kafka: {bootstrap_servers: "\(bootstrap)", group_id: replay-worker, session_timeout: 6s, commit_interval: 100ms}
            sources: [{topic: alerts.raw, format: alertmanager}]
            dead_letter: {topic: alerts.dlq\(extraDeadLetter)}
            pipeline: {drain_timeout: 5s, max_in_flight_events: 4, retry: {max_attempts: 3, initial_backoff: 20ms, max_backoff: 100ms, max_elapsed: 1s}}
            target:
              kind: devrev
              devrev: {base_url: "\(baseURL)", token: {env: REPLAY_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
              rate_limit: {per_second: 0}
            state: {path: "\(statePath)"}
            ops: {host: 127.0.0.1, port: 0}
            logging: {level: info}
            """
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        }

        func run(_ arguments: [String]) async throws -> (Int32, String, String) {
            try await IngestorProcess(arguments, environment: ["REPLAY_TOKEN": "replay-token"]).finished()
        }
    }

    static func alert(_ index: Int, status: String) -> String {
        let ends = status == "resolved" ? "2026-11-24T09:00:00Z" : "0001-01-01T00:00:00Z"
        return """
            {"version":"4","status":"\(status)","groupKey":"g\(index)","alerts":[{"status":"\(status)",\
            "labels":{"alertname":"DiskFull","instance":"node-\(index)","severity":"critical"},\
            "annotations":{"summary":"disk full on node-\(index)","runbook_api_key":"sk-live-\(index)-abcdefgh"},\
            "startsAt":"2026-11-24T08:00:00Z","endsAt":"\(ends)","fingerprint":"replay\(index)"}]}
            """
    }

    /// Produces a firing alert for each of the first `firing` keys, then a resolve for each of the first `resolved`.
    static func produceAlerts(to cluster: EmbeddedKafkaCluster, firing: Int, resolved: Int) async throws {
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        for (index, status) in (0..<firing).map({ ($0, "firing") }) + (0..<resolved).map({ ($0, "resolved") }) {
            try await producer.send(
                topic: "alerts.raw",
                key: Array("replay\(index)".utf8),
                value: Array(Self.alert(index, status: status).utf8)
            )
        }
        await producer.close(timeout: .seconds(5))
    }

    static func letterCount(_ cluster: EmbeddedKafkaCluster, topic: String = "alerts.dlq") async throws -> Int64 {
        try await KafkaTopicReader.endOffsets(
            topic: topic,
            bootstrapServers: cluster.bootstrapServerList,
            logger: e2eLogger
        )
        .values.reduce(0, +)
    }

    static func waitFor(
        _ what: String,
        timeout: Duration = .seconds(60),
        _ condition: () async throws -> Bool
    )
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test(.timeLimit(.minutes(4)))
    func apiDownThenReplayedExactlyOnceResumablyAndIdempotently() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 3)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        try await Self.produceAlerts(to: cluster, firing: Self.keys, resolved: Self.resolvedKeys)
        let messages = Self.keys + Self.resolvedKeys

        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "replay-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let setup = try Setup(bootstrap: cluster.bootstrapServers, baseURL: baseURL)

            // 1. The API is down for the whole run: every message becomes a dead letter.
            api.setDown(true)
            setenv("REPLAY_TOKEN", "replay-token", 1)
            // The whole job in one process (`--stage all`), replayed with `--direct` through the state file; the
            // default two stages are replayed by handing letters back (the test after this one).
            let worker = try WorkerProcess(
                configPath: setup.configPath,
                logPath: setup.directory.appendingPathComponent("worker.log").path,
                arguments: ["--stage", "all"]
            )
            try await Self.waitFor("every message dead-lettered") {
                try await Self.letterCount(cluster) >= Int64(messages)
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(worker.terminate() == 0, "graceful stop: \(worker.log.suffix(2000))")
            #expect(api.ledger.incidents.isEmpty)
            // One warning per letter would flood the log: ten per 10 s, and a summary by reason for the rest.
            let letterLines = worker.log.split(separator: "\n").filter {
                $0.contains("warning") && $0.contains("dead-lettered")
            }
            #expect(letterLines.count <= 20, "\(letterLines.count) dead-letter warnings for \(messages) letters")
            #expect(worker.log.contains("more dead letters in the last"), "the summary of the rest")

            let letters = try await KafkaTopicReader.readAll(
                topic: "alerts.dlq",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            #expect(letters.count == messages, "one letter per message, none twice")
            var lettered: Set<String> = []
            for letter in letters {
                #expect(letter.header("ingestor-dlq-stage") == "deliver")
                #expect(
                    letter.header("ingestor-dlq-reason") == "target_unavailable",
                    "\(letter.header("ingestor-dlq-reason") ?? "-")"
                )
                #expect(letter.header("ingestor-dlq-target") == "devrev")
                #expect(letter.header("ingestor-dlq-dedup-key")?.hasPrefix("am:replay") == true)
                #expect(letter.header("ingestor-dlq-replay-count") == "0")
                #expect(letter.header("ingestor-dlq-original-topic") == "alerts.raw")
                #expect(letter.header("ingestor-dlq-http-status")?.hasPrefix("5") == true, "the fake's 5xx")
                // Every key is new to the state, so it is looked up before anything is created
                // (pipeline.lookup_unknown_keys, on by default); with the API down that lookup is what fails, so
                // no create is ever attempted and each letter says so, under the lookup's own reason.
                #expect(letter.header("ingestor-dlq-action") == nil, "no command was sent")
                #expect(
                    letter.header("ingestor-dlq-message")?.contains("has no state here, and looking it up at devrev")
                        == true,
                    "\(letter.header("ingestor-dlq-message") ?? "-")"
                )
                lettered.insert(
                    "\(letter.header("ingestor-dlq-original-partition") ?? "?")@\(letter.header("ingestor-dlq-original-offset") ?? "?")"
                )
            }
            // Offsets moved only past messages whose letter the broker acknowledged.
            let checker = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    bootstrapServers: cluster.bootstrapServerList,
                    groupID: "replay-worker"
                ),
                logger: e2eLogger
            )
            let committed = try await checker.committed(
                (0..<3).map { KafkaTopicPartition(topic: "alerts.raw", partition: $0) }
            )
            try await checker.close()
            var committedMessages = 0
            for entry in committed where entry.offset > 0 {
                committedMessages += Int(entry.offset)
                for offset in 0..<entry.offset {
                    #expect(
                        lettered.contains("\(entry.topicPartition.partition)@\(offset)"),
                        "committed without a letter"
                    )
                }
            }
            #expect(committedMessages == messages, "every message has its outcome: its letter")

            // 2. What users look at first.
            let (statsStatus, stats, statsErr) = try await setup.run([
                "dlq", "stats", "--config", setup.configPath, "--json",
            ])
            #expect(statsStatus == 0, "\(statsErr)")
            let statsJSON = try JSONParser().parse(Array(stats.utf8))
            #expect(statsJSON["total"]?.int64 == Int64(messages))
            #expect(statsJSON["byTarget"]?["devrev"]?.int64 == Int64(messages))
            let (_, table, _) = try await setup.run(["dlq", "stats", "--config", setup.configPath])
            #expect(table.contains("dead letters in alerts.dlq: \(messages)"))
            #expect(table.contains("target_unavailable"))
            let (_, list, _) = try await setup.run(["dlq", "list", "--config", setup.configPath, "--stage", "deliver"])
            let listed = list.split(separator: "\n").dropFirst()
            #expect(!listed.isEmpty && listed.allSatisfy { $0.contains(" deliver ") })
            let (showStatus, show, showErr) = try await setup.run(["dlq", "show", "--config", setup.configPath, "0:0"])
            #expect(showStatus == 0, "\(showErr)")
            #expect(show.contains("original payload (JSON"))
            #expect(show.contains("\"runbook_api_key\": \"[REDACTED]\""), "secrets in the payload are masked")
            #expect(!show.contains("sk-live-"), "no secret is printed")
            let (byKeyStatus, byKey, _) = try await setup.run([
                "dlq", "show", "--config", setup.configPath, "--key", "am:replay3",
            ])
            #expect(byKeyStatus == 0)
            #expect(byKey.components(separatedBy: "letter 0:").count - 1 == 2, "firing and resolved of one key")
            let (exportStatus, export, _) = try await setup.run(["dlq", "export", "--config", setup.configPath])
            #expect(exportStatus == 0)
            #expect(export.split(separator: "\n").count == messages)
            let (valid, report) = try SchemaTests.validate(
                export,
                schema: repositoryRoot.appendingPathComponent("schemas/dead-letter.schema.json").path
            )
            #expect(valid == 0, "export matches schemas/dead-letter.schema.json: \(report)")

            // 3. The API is back. A dry run shows what would happen and calls nothing.
            api.setDown(false)
            // The file and its write-ahead log (SQLite may create an empty log for a reader: nothing written).
            func stateFiles() -> [Data?] {
                ["", "-wal"].map { try? Data(contentsOf: URL(fileURLWithPath: setup.statePath + $0)) }
                    .map { $0?.isEmpty == true ? nil : $0 }
            }
            let stateBefore = stateFiles()
            let callsWhileDown = api.ledger.requests.count
            let (dryStatus, dry, dryErr) = try await setup.run([
                "replay", "--config", setup.configPath, "--direct", "--dry-run",
            ])
            #expect(dryStatus == 0, "\(dryErr)")
            #expect(api.ledger.requests.count == callsWhileDown, "a dry run makes no calls")
            #expect(stateFiles() == stateBefore, "and writes no state")
            #expect(dry.components(separatedBy: "→ create").count - 1 == Self.keys, "\(dry)")
            #expect(dry.components(separatedBy: "→ resolve").count - 1 == Self.resolvedKeys, "\(dry)")

            // 4. A replay slowed to 4 calls a second, interrupted with Ctrl-C, then run again: it resumes.
            let slow = try IngestorProcess(
                ["replay", "--config", setup.configPath, "--direct", "--rate", "4"],
                environment: ["REPLAY_TOKEN": "replay-token"]
            )
            try await Self.waitFor("the interrupted replay to create some") { api.ledger.incidents.count >= 3 }
            kill(slow.process.processIdentifier, SIGINT)
            let (slowStatus, slowOut, slowErr) = await slow.finished()
            #expect(slowStatus == 0, "\(slowOut)\(slowErr)")
            let createdBeforeResume = api.ledger.incidents.count
            #expect(createdBeforeResume < Self.keys, "interrupted mid-way: \(slowOut)")

            let (resumeStatus, resumed, resumeErr) = try await setup.run([
                "replay", "--config", setup.configPath, "--direct",
            ])
            #expect(resumeStatus == 0, "\(resumed)\(resumeErr)")
            let readOnResume = Self.recordsRead(resumed)
            #expect(readOnResume != nil && readOnResume! < messages, "resumed, not started over: \(resumed)")

            let incidents = api.ledger.incidents
            let byReference = Dictionary(grouping: incidents) { $0.externalReference ?? "" }
            #expect(byReference.count == Self.keys, "every incident once")
            #expect(byReference.values.allSatisfy { $0.count == 1 })
            #expect(incidents.allSatisfy { $0.calls.filter { $0 == "create" }.count == 1 })
            #expect(incidents.filter(\.isResolved).count == Self.resolvedKeys)

            // 5. The same replay again: nothing left to read; from the beginning: every letter, no call.
            let calls = api.ledger.requests.count
            #expect(api.ledger.requests.dropFirst(callsWhileDown).filter { $0.status >= 400 }.isEmpty)
            let (againStatus, again, _) = try await setup.run(["replay", "--config", setup.configPath, "--direct"])
            #expect(againStatus == 0)
            #expect(Self.recordsRead(again) == 0, "\(again)")
            let (fullStatus, full, fullErr) = try await setup.run([
                "replay", "--config", setup.configPath, "--direct", "--from-beginning",
            ])
            #expect(fullStatus == 0, "\(full)\(fullErr)")
            #expect(Self.recordsRead(full) == messages)
            let newCalls = api.ledger.requests.dropFirst(calls).filter { !$0.path.contains("list") }
            #expect(newCalls.isEmpty, "no new create, update or resolve: \(newCalls.map(\.path))")
            #expect(api.ledger.incidents.count == Self.keys)
        }
    }

    /// "N records read" from a replay summary.
    static func recordsRead(_ summary: String) -> Int? {
        guard let range = summary.range(of: #"(\d+) records read"#, options: .regularExpression) else { return nil }
        return Int(summary[range].split(separator: " ")[0])
    }

    @Test(.timeLimit(.minutes(2)))
    func aPoisonLetterIsParkedAfterItsReplayLimit() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 1)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        try cluster.createTopic("alerts.again", partitions: 1)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        // A letter as the worker writes it for a message that is not JSON: replaying cannot fix it.
        try await producer.send(
            topic: "alerts.dlq",
            key: Array("poison".utf8),
            value: Array("not json at all".utf8),
            headers: [
                KafkaHeader(key: "trace-id", value: Array("t-1".utf8)),
                KafkaHeader(key: "ingestor-dlq-stage", value: Array("normalize".utf8)),
                KafkaHeader(key: "ingestor-dlq-reason", value: Array("invalid_json".utf8)),
                KafkaHeader(key: "ingestor-dlq-original-topic", value: Array("alerts.raw".utf8)),
                KafkaHeader(key: "ingestor-dlq-original-partition", value: Array("0".utf8)),
                KafkaHeader(key: "ingestor-dlq-original-offset", value: Array("5".utf8)),
                KafkaHeader(key: "ingestor-dlq-replay-count", value: Array("0".utf8)),
            ]
        )
        await producer.close(timeout: .seconds(5))
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "replay-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let setup = try Setup(
                bootstrap: cluster.bootstrapServers,
                baseURL: baseURL,
                extraDeadLetter: ", max_replays: 2"
            )
            let replay = ["replay", "--config", setup.configPath, "--direct"]
            let (first, firstOut, firstErr) = try await setup.run(replay)
            #expect(first == 1, "failed again: \(firstOut)\(firstErr)")
            let (second, secondOut, _) = try await setup.run(replay)
            #expect(second == 1, "failed again, now parked: \(secondOut)")
            #expect(secondOut.contains("(1 now parked)"))
            let (third, thirdOut, _) = try await setup.run(replay)
            #expect(third == 0)
            #expect(thirdOut.contains("parked 1"), "left alone: \(thirdOut)")
            let (fourth, fourthOut, _) = try await setup.run(replay)
            #expect(fourth == 0)
            #expect(Self.recordsRead(fourthOut) == 0, "no loop: \(fourthOut)")

            let letters = try await KafkaTopicReader.readAll(
                topic: "alerts.dlq",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            #expect(letters.map { $0.header("ingestor-dlq-replay-count") } == ["0", "1", "2"])
            #expect(letters.map { $0.header("ingestor-dlq-parked") } == [nil, nil, "true"])
            #expect(letters.allSatisfy { $0.header("ingestor-dlq-original-offset") == "5" }, "its first home stays")
            #expect(letters.allSatisfy { $0.header("trace-id") == "t-1" }, "its own headers stay")
            #expect(api.ledger.requests.count == 0, "nothing to call for a message that is not an alert")
            let (_, stats, _) = try await setup.run(["dlq", "stats", "--config", setup.configPath, "--json"])
            #expect(try JSONParser().parse(Array(stats.utf8))["parked"]?.int64 == 1)

            // Onto another topic instead: the original message, failure headers gone, replay count kept.
            let (copyStatus, copyOut, copyErr) = try await setup.run(
                [
                    "replay", "--config", setup.configPath, "--to-topic", "alerts.again", "--include-parked",
                    "--from-beginning",
                ]
            )
            #expect(copyStatus == 0, "\(copyOut)\(copyErr)")
            let copies = try await KafkaTopicReader.readAll(
                topic: "alerts.again",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            #expect(copies.count == 3)
            #expect(copies.allSatisfy { String(decoding: $0.value, as: UTF8.self) == "not json at all" })
            #expect(copies.map { $0.header("ingestor-dlq-replay-count") } == ["1", "2", "3"])
            #expect(copies.allSatisfy { $0.headers.filter { $0.key.hasPrefix("ingestor-dlq-") }.count == 1 })
            #expect(copies.allSatisfy { $0.header("trace-id") == "t-1" })
        }
    }

    /// The default, two stages through Kafka: with the API down every event becomes a delivery-stage letter of the
    /// events topic; a replay through its own pipeline (`--direct`) leaves them alone and says why; once the API is
    /// back, `ingestor replay` puts each letter back into its events partition while the worker runs, and the owner
    /// delivers it with its state: every incident once, and a second replay from the beginning calls nothing.
    @Test(.timeLimit(.minutes(4)))
    func lettersOfTheDeliveryStageGoBackToTheirOwnersExactlyOnce() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 3)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        for topic in ["replay-worker.events", "replay-worker.changelog", "replay-worker.audit"] {
            try cluster.createTopic(topic, partitions: 4)
        }
        let keys = 8
        let resolved = 4
        try await Self.produceAlerts(to: cluster, firing: keys, resolved: resolved)
        let messages = keys + resolved

        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "replay-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let setup = try Setup(bootstrap: cluster.bootstrapServers, baseURL: baseURL)
            api.setDown(true)
            setenv("REPLAY_TOKEN", "replay-token", 1)
            let worker = try WorkerProcess(
                configPath: setup.configPath,
                logPath: setup.directory.appendingPathComponent("worker.log").path
            )
            try await Self.waitFor("every event dead-lettered", timeout: .seconds(90)) {
                try await Self.letterCount(cluster) >= Int64(messages)
            }
            let letters = try await KafkaTopicReader.readAll(
                topic: "alerts.dlq",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            #expect(letters.count == messages, "\(letters.count)")
            #expect(letters.allSatisfy { $0.header("ingestor-dlq-stage") == "deliver" })
            #expect(letters.allSatisfy { $0.header("ingestor-dlq-original-topic") == "replay-worker.events" })

            api.setDown(false)
            let callsWhileDown = api.ledger.requests.count
            let (ownStatus, own, ownErr) = try await setup.run([
                "replay", "--config", setup.configPath, "--direct", "--dry-run",
            ])
            #expect(ownStatus == 0, "\(ownErr)")
            #expect(own.contains("not replayed  \(messages):"), "\(own)")
            #expect(
                own.contains(
                    "a letter of the delivery stage (from replay-worker.events): replay it without --direct, while the workers run"
                )
            )
            let (dryStatus, dry, dryErr) = try await setup.run([
                "replay", "--config", setup.configPath, "--dry-run",
            ])
            #expect(dryStatus == 0, "\(dryErr)")
            #expect(api.ledger.requests.count == callsWhileDown, "a dry run makes no calls")
            #expect(dry.components(separatedBy: "→ create").count - 1 == keys, "\(dry)")
            #expect(dry.components(separatedBy: "→ resolve").count - 1 == resolved, "after its create: \(dry)")

            let (status, out, err) = try await setup.run(["replay", "--config", setup.configPath])
            #expect(status == 0, "\(out)\(err)")
            #expect(out.contains("handed back   \(messages) to the topics they came from"), "\(out)")
            #expect(!err.contains("REPLAY_TOKEN"), "handing back needs no target token")
            try await Self.waitFor("every incident created and the resolved ones resolved", timeout: .seconds(60)) {
                api.ledger.incidents.count == keys && api.ledger.incidents.filter(\.isResolved).count == resolved
            }
            // The order of a key's letters is kept (one events partition each): firing, then resolved.
            #expect(api.ledger.incidents.allSatisfy { $0.calls.filter { $0 == "create" }.count == 1 })

            try await Task.sleep(for: .seconds(1))
            let calls = api.ledger.requests.count
            let (againStatus, again, againErr) = try await setup.run([
                "replay", "--config", setup.configPath, "--hand-back", "--from-beginning",
            ])
            #expect(againStatus == 0, "\(again)\(againErr)")
            try await Task.sleep(for: .seconds(3))
            let newCalls = api.ledger.requests.dropFirst(calls).filter { !$0.path.contains("list") }
            #expect(newCalls.isEmpty, "handed back twice, decided once: \(newCalls.map(\.path))")
            #expect(api.ledger.incidents.count == keys)
            #expect(try await Self.letterCount(cluster) == Int64(messages), "nothing failed again")
            _ = worker.terminate()
        }
    }
}

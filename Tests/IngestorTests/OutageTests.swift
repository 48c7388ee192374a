import Foundation
import IncidentAPI
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Testing

/// A worker process's resident memory in MiB, from `/proc/<pid>/status`.
func residentMiB(of pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return nil }
    return kilobytes / 1024
}

/// The sum of every sample of a metric in a Prometheus text page (0 when absent).
func metricSum(_ page: String, _ name: String) -> Double {
    page.split(separator: "\n")
        .filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
        .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
        .reduce(0, +)
}

/// The incident API away for three minutes with 20,000 messages waiting (the worker's default retry settings):
/// nothing may become a dead letter, intake must stay paused without flapping, memory must stay flat, and once the
/// API is back every alert must reach it exactly once, in order, with no person involved.
@Suite("Outages wait in Kafka", .serialized)
struct OutageTests {
    static let alerts = 1000
    /// Per alert: ten firing notifications, nine worse, one resolved; all with the alert's start time.
    static let messagesPerAlert = 20

    static func payload(_ index: Int, round: Int) -> String {
        let fingerprint = String(format: "out%05d", index)
        let resolved = round == messagesPerAlert - 1
        let worse = round >= 10
        let status = resolved ? "resolved" : "firing"
        return """
            {"version":"4","status":"\(status)","groupKey":"g\(index)","alerts":[{"status":"\(status)",\
            "labels":{"alertname":"QueueBacklog","instance":"node-\(index)","severity":"\(worse ? "critical" : "warning")"},\
            "annotations":{"summary":"backlog on node-\(index)\(worse ? ", and growing" : "")"},\
            "startsAt":"2026-11-24T08:00:00Z",\
            "endsAt":"\(resolved ? "2026-11-24T09:00:00Z" : "0001-01-01T00:00:00Z")","fingerprint":"\(fingerprint)"}]}
            """
    }

    @Test(.timeLimit(.minutes(8)))
    func aThreeMinuteOutageWithTwentyThousandMessagesWaitingLosesNothingAndDeadLettersNothing() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 8)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        // Round by round, each round concurrently: one alert's messages keep their order on its partition.
        for round in 0..<Self.messagesPerAlert {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<Self.alerts {
                    group.addTask {
                        try await producer.send(
                            topic: "alerts.raw",
                            key: Array(String(format: "out%05d", index).utf8),
                            value: Array(Self.payload(index, round: round).utf8)
                        )
                    }
                }
                try await group.waitForAll()
            }
        }
        await producer.close(timeout: .seconds(5))
        let total = Self.alerts * Self.messagesPerAlert

        let apiPort = try freeLoopbackPort()
        let opsPort = try freeLoopbackPort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outage-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        setenv("OUTAGE_TOKEN", "outage-token", 1)
        let configPath = directory.appendingPathComponent("ingestor.yaml").path
        // The retry settings are the defaults (max_attempts 5, max_elapsed 5 min): they are what is under test.
        try """
        kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: outage, commit_interval: 1s}
        sources: [{topic: alerts.raw, format: alertmanager}]
        dead_letter: {topic: alerts.dlq}
        target:
          kind: devrev
          devrev: {base_url: "http://127.0.0.1:\(apiPort)", token: {env: OUTAGE_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
          rate_limit: {per_second: 0}
        state: {path: "\(directory.appendingPathComponent("state.sqlite").path)"}
        ops: {host: 127.0.0.1, port: \(opsPort)}
        logging: {level: info}
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let logPath = directory.appendingPathComponent("worker.log").path
        let worker = try WorkerProcess(configPath: configPath, logPath: logPath)
        let pid = worker.process.processIdentifier
        let client = CurlHTTPClient(logger: e2eLogger)
        defer { client.shutdown() }
        func metrics() async -> String {
            let answer = try? await client.execute(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:\(opsPort)/metrics")
            )
            return answer.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        }
        func finished() async -> Int {
            let answer = try? await client.execute(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:\(opsPort)/readyz")
            )
            let detail = answer.flatMap { try? JSONParser().parse($0.body) }
            return detail?["messages_finished"]?.int64.map(Int.init) ?? 0
        }
        func waitFor(_ what: String, timeout: Duration, _ condition: () async -> Bool) async throws {
            let deadline = ContinuousClock.now + timeout
            while !(await condition()) {
                guard ContinuousClock.now < deadline else {
                    Issue.record("timed out waiting for \(what); worker log tail:\n\(worker.log.suffix(3000))")
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }

        // 0–90 s: nothing listens on the API's port (connections refused); 90–180 s: it answers 503.
        let outageStart = ContinuousClock.now
        try await waitFor("intake to pause", timeout: .seconds(60)) {
            metricSum(await metrics(), "ingestor_intake_paused") == 1
        }
        var samples: [(at: Duration, rss: Double)] = []
        var flapped = false
        var letters = 0.0
        func watch(until end: ContinuousClock.Instant) async throws {
            while ContinuousClock.now < end {
                let page = await metrics()
                if metricSum(page, "ingestor_intake_paused") != 1
                    || metricSum(page, "ingestor_intake_pauses_total") != 1
                {
                    flapped = true
                }
                letters = max(letters, metricSum(page, "ingestor_dead_letters_total"))
                if let rss = residentMiB(of: pid) { samples.append((ContinuousClock.now - outageStart, rss)) }
                try await Task.sleep(for: .seconds(2))
            }
        }
        try await watch(until: outageStart + .seconds(90))
        let api = FakeIncidentAPIServer(
            api: FakeDevRevAPI(token: "outage-token"),
            host: "127.0.0.1",
            port: apiPort,
            logger: e2eLogger
        )
        api.setDown(true)
        let server = Task { try await api.run() }
        defer { server.cancel() }
        _ = try await api.baseURL()
        try await watch(until: outageStart + .seconds(180))
        let refused = api.ledger.requests.count
        #expect(refused > 0, "the worker kept trying the API while it answered 503")
        #expect(api.ledger.incidents.isEmpty)
        api.setDown(false)
        let back = ContinuousClock.now
        try await waitFor("every alert resolved", timeout: .seconds(180)) {
            api.ledger.incidents.filter(\.isResolved).count == Self.alerts
        }
        let drained = ContinuousClock.now - back
        try await waitFor("every message finished", timeout: .seconds(60)) {
            await finished() >= total
        }
        let afterRSS = residentMiB(of: pid) ?? 0
        #expect(worker.terminate() == 0, "graceful stop: \(worker.log.suffix(2000))")

        // Nothing dead-lettered, before or after the API's return.
        #expect(!flapped, "intake stayed paused through the outage, without flapping")
        #expect(letters == 0)
        let dlq = try await KafkaTopicReader.readAll(
            topic: "alerts.dlq",
            bootstrapServers: cluster.bootstrapServerList,
            logger: e2eLogger
        )
        #expect(dlq.isEmpty, "dead letters: \(dlq.prefix(3).map { String(decoding: $0.value, as: UTF8.self) })")

        // Exactly once, in order: one incident per alert, created once, made worse once, resolved once.
        let incidents = api.ledger.incidents
        #expect(incidents.count == Self.alerts)
        #expect(Set(incidents.compactMap(\.externalReference)).count == Self.alerts)
        #expect(incidents.allSatisfy { $0.calls == ["create", "update", "resolve"] })
        #expect(CrashSafetyTests.rolledBack(incidents).isEmpty)

        // Memory: flat while waiting (20,000 messages held by Kafka, not by the worker), and not grown after.
        let waiting = samples.filter { $0.at > .seconds(20) }.map(\.rss)
        let low = waiting.min() ?? 0
        let high = waiting.max() ?? 0
        print(
            """
            outage: RSS while waiting \(Int(low))–\(Int(high)) MiB over \(waiting.count) samples, \
            after delivery \(Int(afterRSS)) MiB; \(refused) calls answered 503; backlog delivered in \(drained)
            """
        )
        #expect(!waiting.isEmpty)
        #expect(high - low < 24, "RSS grew from \(low) to \(high) MiB while the API was away")
        #expect(afterRSS < high + 48, "RSS after delivery \(afterRSS) MiB, \(high) MiB while waiting")
    }
}

import Foundation
import IncidentAPI
import IncidentAPIFakes
import IngestorKit
import KafkaIO
import Pipeline
import Prometheus
import ServiceLifecycle
import Testing
import Yams

/// `deploy/grafana/ingestor.json` and `deploy/prometheus/ingestor-rules.yml` are checked like code: promtool accepts
/// the rules and passes their unit tests, the dashboard is importable, and every metric either of them names is one a
/// worker exports.
@Suite("Dashboard and alerting rules", .serialized)
struct DashboardAndRulesTests {
    static let rules = repositoryRoot.appendingPathComponent("deploy/prometheus/ingestor-rules.yml")
    static let ruleTests = repositoryRoot.appendingPathComponent("deploy/prometheus/ingestor-rules.test.yml")
    static let dashboard = repositoryRoot.appendingPathComponent("deploy/grafana/ingestor.json")

    /// Metrics the dashboard or the rules use that the worker in ``everyMetricTheDashboardAndRulesUseIsOneAWorkerExports()``
    /// does not export, because only another situation makes them; each is checked against the source instead, so a
    /// misspelt name still fails.
    static let exportedInOtherSituations: [String: String] = [
        "ingestor_target_down": "set when the target stops answering every call, and when it answers again",
        "ingestor_intake_pauses_total": "counted when in-flight work is full and intake pauses (backpressure)",
        "ingestor_dead_letters_cut_total": "counted when a letter is too large for the dead-letter topic",
        "ingestor_changelog_fenced_total": "counted when a restore ignores records of an owner fenced by a newer claim",
        // Its value is checked in OpsMetricsTests.readyGaugeSaysWhatReadyzSays, which makes a crash's leftovers.
        "ingestor_pending_intents_reconciled_total": "counted when creates a crash interrupted are settled at start",
    ]

    // MARK: - promtool

    /// Debian's promtool (package `prometheus`, installed by scripts/install-deps).
    static func promtool() throws -> URL {
        let candidates =
            ["/usr/bin/promtool"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/promtool" }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CocoaError(
                .executableNotLoadable,
                userInfo: [
                    NSLocalizedDescriptionKey:
                        "promtool not found: run scripts/install-deps (Debian package prometheus)"
                ]
            )
        }
        return URL(fileURLWithPath: path)
    }

    /// Runs promtool with `arguments` in `deploy/prometheus`; returns its exit status and output.
    static func runPromtool(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        let output = Pipe()
        process.executableURL = try promtool()
        process.arguments = arguments
        process.currentDirectoryURL = rules.deletingLastPathComponent()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func promtoolAcceptsTheRulesAndTheirUnitTestsPass() throws {
        let (checkStatus, check) = try Self.runPromtool(["check", "rules", Self.rules.path])
        #expect(checkStatus == 0, "promtool check rules:\n\(check)")
        let (testStatus, test) = try Self.runPromtool(["test", "rules", Self.ruleTests.path])
        #expect(testStatus == 0, "promtool test rules:\n\(test)")
        #expect(test.contains("SUCCESS"), "\(test)")
    }

    @Test func everyAlertHasASummaryADescriptionAndARunbook() throws {
        let alerts = try Self.ruleEntries().filter { $0["alert"] != nil }
        #expect(alerts.count >= 9)
        for alert in alerts {
            let annotations = alert["annotations"] as? [String: Any] ?? [:]
            for key in ["summary", "description", "runbook"] {
                let text = annotations[key] as? String ?? ""
                #expect(!text.isEmpty, "\(alert["alert"] ?? "?") has no \(key)")
            }
        }
    }

    // MARK: - The dashboard

    @Test func theDashboardIsImportableWithAQueryInEveryPanel() throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dashboard))
        let dashboard = try #require(object as? [String: Any], "the dashboard is a JSON object")
        let inputs = dashboard["__inputs"] as? [[String: Any]] ?? []
        #expect(
            inputs.contains { $0["name"] as? String == "DS_PROMETHEUS" && $0["pluginId"] as? String == "prometheus" }
        )
        #expect(dashboard["title"] as? String == "ingestor")
        let panels = try #require(dashboard["panels"] as? [[String: Any]], "the dashboard has panels")
        let queries = panels.filter { $0["type"] as? String != "row" }
        #expect(queries.count >= 15)
        var ids: Set<Int> = []
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            let id = try #require(panel["id"] as? Int, "\(title) has an id")
            #expect(ids.insert(id).inserted, "panel id \(id) is used twice")
            #expect(panel["gridPos"] as? [String: Any] != nil, "\(title) has a place")
        }
        for panel in queries {
            let title = panel["title"] as? String ?? "?"
            #expect(!(panel["description"] as? String ?? "").isEmpty, "\(title) says what it shows")
            #expect(Self.datasourceUID(panel["datasource"]) == "${DS_PROMETHEUS}", "\(title)'s datasource")
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "\(title) has targets")
            for target in targets {
                #expect(!(target["expr"] as? String ?? "").isEmpty, "\(title) has a target without expr")
                #expect(Self.datasourceUID(target["datasource"]) == "${DS_PROMETHEUS}", "\(title)'s target datasource")
            }
        }
    }

    static func datasourceUID(_ value: Any?) -> String? {
        (value as? [String: Any])?["uid"] as? String
    }

    // MARK: - Metric names against a running worker

    @Test(.timeLimit(.minutes(3)))
    func everyMetricTheDashboardAndRulesUseIsOneAWorkerExports() async throws {
        let (used, recorded) = try Self.metricNamesUsed()
        #expect(used.contains("ingestor_consumer_lag_records") && used.contains("ingestor_ready"), "\(used)")
        // Recording rules used anywhere must be defined in the rules file.
        let undefined = try Self.recordingNamesUsed().subtracting(recorded)
        #expect(undefined.isEmpty, "recording rules used but not defined: \(undefined.sorted())")
        // The names only other situations export are in the source as written.
        let sources = try Self.sourceText()
        for name in Self.exportedInOtherSituations.keys.sorted() {
            #expect(sources.contains("\"\(name)\""), "\(name) is not a metric name in Sources")
        }

        let exported = try await Self.namesExportedByAWorker(untilCovering: used)
        let unknown = used.subtracting(exported).subtracting(Self.exportedInOtherSituations.keys)
        #expect(
            unknown.isEmpty,
            "the dashboard or the rules use metrics no worker exports: \(unknown.sorted())\nexported: \(exported.sorted())"
        )
    }

    /// The rules of every group, as YAML maps.
    static func ruleEntries() throws -> [[String: Any]] {
        let loaded = try Yams.load(yaml: String(contentsOf: rules, encoding: .utf8)) as? [String: Any]
        let groups = loaded?["groups"] as? [[String: Any]] ?? []
        return groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
    }

    /// Every PromQL expression: the rules', the dashboard panels' and its variables' queries.
    static func expressions() throws -> [String] {
        var expressions = try ruleEntries().compactMap { $0["expr"] as? String }
        let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: dashboard)) as? [String: Any] ?? [:]
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            expressions += (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        }
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in variables {
            if let query = variable["query"] as? String { expressions.append(query) }
            if let query = (variable["query"] as? [String: Any])?["query"] as? String { expressions.append(query) }
        }
        return expressions
    }

    /// The identifiers of `expression` outside string literals (label values, regexes).
    static func identifiers(_ expression: String) -> [String] {
        let unquoted = expression.replacing(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/, with: "\"\"")
        return unquoted.matches(of: /[A-Za-z_:][A-Za-z0-9_:]*/).map { String($0.output) }
    }

    /// The `ingestor_` metric names the expressions use, and the recording rules the rules file defines.
    static func metricNamesUsed() throws -> (used: Set<String>, recorded: Set<String>) {
        let recorded = Set(try ruleEntries().compactMap { $0["record"] as? String })
        var used: Set<String> = []
        for expression in try expressions() {
            for name in identifiers(expression) where name.hasPrefix("ingestor_") && !recorded.contains(name) {
                used.insert(name)
            }
        }
        return (used, recorded)
    }

    /// Names with a colon (recording rules, by Prometheus' naming convention) the expressions use.
    static func recordingNamesUsed() throws -> Set<String> {
        Set(try expressions().flatMap(identifiers).filter { $0.contains(":") })
    }

    /// All Swift source of the product.
    static func sourceText() throws -> String {
        let root = repositoryRoot.appendingPathComponent("Sources")
        var text = ""
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            if file.pathExtension == "swift" { text += try String(contentsOf: file, encoding: .utf8) }
        }
        return text
    }

    /// The series names of a Prometheus text exposition: each `# TYPE` name, with `_bucket`, `_sum` and `_count` for
    /// histograms.
    static func exportedNames(_ exposition: String) -> Set<String> {
        var names: Set<String> = []
        for line in exposition.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            guard parts.count >= 4 else { continue }
            let name = String(parts[2])
            names.insert(name)
            if parts[3] == "histogram" || parts[3] == "summary" {
                names.formUnion(["_bucket", "_sum", "_count"].map { name + $0 })
            }
        }
        return names
    }
}

extension DashboardAndRulesTests {
    /// One raw record.
    struct Record {
        var value: [UInt8]
        var headers: [KafkaHeader] = []
    }

    static func alert(_ key: String) -> [UInt8] {
        Array(
            """
            {"version":"4","groupKey":"g-\(key)","alerts":[{"status":"firing","labels":{"alertname":"Ops",\
            "instance":"\(key)"},"annotations":{"summary":"\(key) is down"},"startsAt":"2026-12-03T08:00:00Z",\
            "fingerprint":"\(key)"}]}
            """.utf8
        )
    }

    /// Runs a worker with both stages in one process (so the delivery stage's state metrics exist too) and the
    /// webhook intake, feeds it alerts that take every path the dashboard shows (decisions, lookups, 429s and
    /// rate-limit waits, a dead letter, a repeat the normalize stage skips, a replayed letter, webhooks accepted
    /// and refused), and scrapes `/metrics` until it exports every name in `wanted` (or 60 s have passed).
    /// - Returns: the names of the last scrape.
    static func namesExportedByAWorker(untilCovering wanted: Set<String>) async throws -> Set<String> {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("ops.raw", partitions: 2)
        try cluster.createTopic("ops.dlq", partitions: 1)
        try cluster.createTopic("ops.events", partitions: 4)
        try cluster.createTopic("ops.changelog", partitions: 4)
        var faults = FakeFaults()
        faults.throttleEvery = 4
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "ops-token"), faults: faults, logger: e2eLogger)
        let client = CurlHTTPClient(logger: e2eLogger)
        defer { client.shutdown() }
        return try await api.withRunning { baseURL in
            let intakePort = try freeLoopbackPort()
            let yaml = """
                kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: ops, session_timeout: 6s, commit_interval: 100ms, events_topic: ops.events, changelog_topic: ops.changelog}
                sources: [{topic: ops.raw, format: alertmanager}]
                dead_letter: {topic: ops.dlq}
                pipeline: {drain_timeout: 2s}
                target:
                  kind: devrev
                  devrev: {base_url: "\(baseURL)", token: {env: OPS_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
                  rate_limit: {per_second: 20, burst: 1}
                state: {path: "\(temporaryStatePath())"}
                ops: {host: 127.0.0.1, port: 0, readiness: {probe_interval: 500ms}}
                intake:
                  host: 127.0.0.1
                  port: \(intakePort)
                  sources: [{name: am, topic: ops.raw, auth: {bearer: {env: OPS_INTAKE_TOKEN}}}]
                """
            let app = try IngestorApp.build(
                configuration: try IngestorConfiguration.parse(
                    yaml: yaml,
                    environment: ["OPS_TOKEN": "ops-token", "OPS_INTAKE_TOKEN": "intake-token"]
                ),
                logger: e2eLogger,
                registry: PrometheusCollectorRegistry(),
                gracefulShutdownSignals: [],
                stages: [.normalize, .deliver]
            )
            let worker = Task { try await app.serviceGroup.run() }

            var records = (0..<6).map { Record(value: alert("ops-\($0)")) }
            records.append(Record(value: alert("ops-0")))  // the same event again: skipped by the normalize stage
            records.append(Record(value: Array("{not json".utf8)))  // a dead letter
            records.append(
                Record(
                    value: alert("ops-replayed"),
                    headers: [KafkaHeader(key: DeadLetter.Field.replayCount.rawValue, text: "1")]
                )
            )
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServerList),
                logger: e2eLogger
            )
            for record in records {
                try await producer.send(topic: "ops.raw", key: nil, value: record.value, headers: record.headers)
            }
            await producer.close(timeout: .seconds(5))
            let intake = "http://127.0.0.1:\(intakePort)/v1/ingest/am"
            try await ReadinessTests.waitFor("the intake") {
                let answer = try? await client.execute(
                    HTTPRequest(
                        method: "POST",
                        url: intake,
                        headers: [
                            HTTPHeader("Authorization", "Bearer intake-token"),
                            HTTPHeader("Content-Type", "application/json"),
                        ],
                        body: alert("ops-webhook")
                    )
                )
                return answer?.status == 202
            }
            let refused = try await client.execute(
                HTTPRequest(
                    method: "POST",
                    url: intake,
                    headers: [HTTPHeader("Authorization", "Bearer wrong")],
                    body: alert("x")
                )
            )
            #expect(refused.status == 401)

            try await ReadinessTests.waitFor("the ops port") { app.status.opsPort != nil }
            let port = try #require(app.status.opsPort)
            var exported: Set<String> = []
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let answer = try await client.execute(
                    HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics")
                )
                exported = exportedNames(String(decoding: answer.body, as: UTF8.self))
                if wanted.subtracting(exported).subtracting(exportedInOtherSituations.keys).isEmpty { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            await app.serviceGroup.triggerGracefulShutdown()
            try await worker.value
            return exported
        }
    }
}

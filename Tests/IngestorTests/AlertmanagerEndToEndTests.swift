import Foundation
import IncidentAPI
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on loopback (bound, then released for a child process to take).
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw CocoaError(.featureUnsupported) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
        }
    }
    guard bound else { throw CocoaError(.featureUnsupported) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`, installed by scripts/install-deps) sends its
/// grouped notifications to the worker's webhook intake; they flow through the embedded cluster and the worker
/// to the fake DevRev API, and resolving the alerts in Alertmanager resolves the incidents.
@Suite("Real Alertmanager → intake → worker → incidents", .serialized)
struct AlertmanagerEndToEndTests {
    static let binary = "/usr/bin/prometheus-alertmanager"

    @Test(.timeLimit(.minutes(3)))
    func alertsPostedToAlertmanagerBecomeIncidentsAndResolve() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "run scripts/install-deps")
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 2)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "am-e2e-token"), logger: e2eLogger)
        let client = CurlHTTPClient(logger: e2eLogger)
        defer { client.shutdown() }
        try await api.withRunning { baseURL in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("am-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let intakePort = try freeLoopbackPort()
            let alertmanagerPort = try freeLoopbackPort()

            // The worker, with the intake on its own port.
            setenv("AM_E2E_API_TOKEN", "am-e2e-token", 1)
            setenv("AM_E2E_INTAKE_TOKEN", "intake-token", 1)
            let configPath = directory.appendingPathComponent("ingestor.yaml").path
            try """
            kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: am-e2e, session_timeout: 6s, commit_interval: 100ms}
            sources: [{topic: alerts.raw, format: alertmanager}]
            dead_letter: {topic: alerts.dlq}
            pipeline: {drain_timeout: 3s}
            target:
              kind: devrev
              devrev: {base_url: "\(baseURL)", token: {env: AM_E2E_API_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
            state: {path: "\(directory.appendingPathComponent("state.sqlite").path)"}
            ops: {host: 127.0.0.1, port: 0}
            intake:
              host: 127.0.0.1
              port: \(intakePort)
              sources:
                - name: alertmanager
                  topic: alerts.raw
                  key_pointer: /groupKey
                  auth: {bearer: {env: AM_E2E_INTAKE_TOKEN}}
            """
            .write(toFile: configPath, atomically: true, encoding: .utf8)
            let worker = try WorkerProcess(
                configPath: configPath,
                logPath: directory.appendingPathComponent("worker.log").path
            )

            // Alertmanager, grouping by alertname, with the receiver config the README shows.
            let alertmanagerConfig = directory.appendingPathComponent("alertmanager.yml").path
            let tokenFile = directory.appendingPathComponent("ingestor-token").path
            try "intake-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            try """
            route:
              receiver: ingestor
              group_by: [alertname]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: ingestor
                webhook_configs:
                  - url: http://127.0.0.1:\(intakePort)/v1/ingest/alertmanager
                    send_resolved: true
                    http_config:
                      authorization: {type: Bearer, credentials_file: \(tokenFile)}
            """
            .write(toFile: alertmanagerConfig, atomically: true, encoding: .utf8)
            let alertmanager = Process()
            alertmanager.executableURL = URL(fileURLWithPath: Self.binary)
            alertmanager.arguments = [
                "--config.file=\(alertmanagerConfig)",
                "--storage.path=\(directory.appendingPathComponent("am-data").path)",
                "--web.listen-address=127.0.0.1:\(alertmanagerPort)",
                "--cluster.listen-address=",
                "--log.level=warn",
            ]
            let amLog = directory.appendingPathComponent("alertmanager.log").path
            _ = FileManager.default.createFile(atPath: amLog, contents: nil)
            alertmanager.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: amLog))
            alertmanager.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: amLog))
            try alertmanager.run()
            defer {
                alertmanager.terminate()
                alertmanager.waitUntilExit()
            }
            let amBase = "http://127.0.0.1:\(alertmanagerPort)"

            func waitFor(_ what: String, timeout: Duration = .seconds(60), _ condition: () async -> Bool) async throws {
                let deadline = ContinuousClock.now + timeout
                while await !condition() {
                    guard ContinuousClock.now < deadline else {
                        let amText = (try? String(contentsOfFile: amLog, encoding: .utf8)) ?? ""
                        Issue.record(
                            "timed out waiting for \(what)\nworker:\n\(worker.log.suffix(3000))\nalertmanager:\n\(amText.suffix(2000))"
                        )
                        throw CancellationError()
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            try await waitFor("Alertmanager to be ready") {
                (try? await client.execute(HTTPRequest(method: "GET", url: "\(amBase)/-/ready")))?.status == 200
            }

            func post(alertsEndingAt endsAt: String?) async throws {
                let alerts = (1...3).map { index in
                    """
                    {"labels":{"alertname":"DiskFull","instance":"db-\(index)","severity":"critical"},\
                    "annotations":{"summary":"Disk full on db-\(index)"},\
                    "startsAt":"2026-11-30T08:00:00Z"\(endsAt.map { ",\"endsAt\":\"\($0)\"" } ?? "")}
                    """
                }
                let answer = try await client.execute(
                    HTTPRequest(
                        method: "POST",
                        url: "\(amBase)/api/v2/alerts",
                        headers: [HTTPHeader("Content-Type", "application/json")],
                        body: Array("[\(alerts.joined(separator: ","))]".utf8)
                    )
                )
                #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            }

            // Three alerts fire: Alertmanager groups them into one notification → three incidents.
            try await post(alertsEndingAt: nil)
            try await waitFor("three incidents") { api.ledger.incidents.count == 3 }
            let titles = Set(api.ledger.incidents.compactMap { $0.fields["title"]?.string })
            #expect(titles == ["Disk full on db-1", "Disk full on db-2", "Disk full on db-3"])

            // Resolved in Alertmanager → its resolved notification resolves them.
            let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000) - 1000)
            try await post(alertsEndingAt: now.rfc3339)
            try await waitFor("every incident resolved") { api.ledger.incidents.allSatisfy(\.isResolved) }
            #expect(api.ledger.incidents.count == 3, "no second ticket")
            #expect(api.ledger.incidents.allSatisfy { $0.calls.filter { $0 == "create" }.count == 1 })

            #expect(worker.terminate() == 0, "graceful stop: \(worker.log.suffix(2000))")
            let records = try await KafkaTopicReader.readAll(
                topic: "alerts.raw",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            #expect(records.count >= 2, "a firing and a resolved notification, at least")
            #expect(records.allSatisfy { $0.header("ingestor-source") == "alertmanager" })
            #expect(
                records.allSatisfy {
                    $0.key.map { String(decoding: $0, as: UTF8.self) } == #"{}:{alertname="DiskFull"}"#
                }
            )
            let letters = try await KafkaTopicReader.readAll(
                topic: "alerts.dlq",
                bootstrapServers: cluster.bootstrapServerList,
                logger: e2eLogger
            )
            #expect(letters.isEmpty)
        }
    }
}

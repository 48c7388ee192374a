import Foundation
import IncidentAPIFakes
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Pipeline
import Prometheus
import ServiceLifecycle
import Testing

/// `ingestor run`'s wiring with each non-DevRev target configured from YAML drives the vendor's fake through a
/// whole incident lifecycle: create, update, comment (a mail reply), resolve.
@Suite("Every target end to end", .serialized)
struct TargetsEndToEndTests {
    /// Alertmanager firing → worse → resolved (create, update, resolve), and a mail thread opened then replied to
    /// (create, comment). One key per message so they stay in order on one partition.
    static let messages: [String] = {
        func alert(_ status: String, _ severity: String, endsAt: String) -> String {
            #"{"version":"4","status":"\#(status)","receiver":"ops","groupKey":"g","alerts":[{"status":"\#(status)","labels":{"alertname":"DiskFull","instance":"db-1","severity":"\#(severity)"},"annotations":{"summary":"Disk full on db-1"},"startsAt":"2026-11-24T08:00:00Z","endsAt":"\#(endsAt)","fingerprint":"e2e0000000000001"}]}"#
        }
        let opener =
            "From: ops@example.com\r\nSubject: Capacity review needed\r\nMessage-ID: <cap-1@example.com>\r\n"
            + "Date: Tue, 24 Nov 2026 08:00:00 +0000\r\n\r\nStorage is at 81%."
        let reply =
            "From: jo@example.com\r\nSubject: Re: Capacity review needed\r\nMessage-ID: <cap-2@example.com>\r\n"
            + "In-Reply-To: <cap-1@example.com>\r\nReferences: <cap-1@example.com>\r\n"
            + "Date: Tue, 24 Nov 2026 09:00:00 +0000\r\n\r\nOrdered new disks."
        return [
            alert("firing", "warning", endsAt: "0001-01-01T00:00:00Z"),
            alert("firing", "critical", endsAt: "0001-01-01T00:00:00Z"),
            opener, reply,
            alert("resolved", "critical", endsAt: "2026-11-24T08:30:00Z"),
        ]
    }()

    func run(
        targetYAML: String,
        environment: [String: String],
        cluster: EmbeddedKafkaCluster,
        topic: String,
        logger: Logger = e2eLogger,
        deadLetters: Int = 0
    ) async throws {
        try cluster.createTopic(topic, partitions: 1)
        try cluster.createTopic(topic + ".dlq", partitions: 1)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        for message in Self.messages {
            try await producer.send(topic: topic, key: Array("k".utf8), value: Array(message.utf8))
        }
        await producer.close(timeout: .seconds(5))
        let yaml = """
            kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: \(topic), session_timeout: 10s, commit_interval: 100ms}
            sources: [{topic: \(topic), format: auto}]
            dead_letter: {topic: \(topic).dlq}
            pipeline: {drain_timeout: 5s, retry: {max_attempts: 3, initial_backoff: 10ms}}
            ops: {host: 127.0.0.1, port: 0}
            state: {path: "\(temporaryStatePath())"}
            \(targetYAML)
            """
        let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: environment)
        let app = try IngestorApp.build(
            configuration: configuration,
            logger: logger,
            registry: PrometheusCollectorRegistry(),
            gracefulShutdownSignals: []
        )
        let worker = Task { try await app.serviceGroup.run() }
        let deadline = ContinuousClock.now + .seconds(30)
        while app.instruments.snapshot.messagesFinished < Self.messages.count {
            try #require(ContinuousClock.now < deadline, "worker did not finish: \(app.instruments.snapshot)")
            try await Task.sleep(for: .milliseconds(20))
        }
        await app.serviceGroup.triggerGracefulShutdown()
        try await worker.value
        #expect(app.instruments.snapshot.deadLetters == deadLetters)
    }

    @Test(.timeLimit(.minutes(2)))
    func motadataAndGenericHTTPRunWholeLifecycles() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)

        let motadata = FakeMotadataAPI(apiKey: "unused-key")
        let motadataServer = FakeIncidentAPIServer(api: motadata, logger: e2eLogger)
        try await motadataServer.withRunning { baseURL in
            try await run(
                targetYAML: """
                    target:
                      kind: motadata
                      motadata:
                        base_url: "\(baseURL)"
                        requester_email: ingestor@example.com
                        dedup_key_field: Alert Key
                        auth:
                          type: oauth2_password
                          client_id: ingestor-client
                          client_secret: {env: MOTADATA_CLIENT_SECRET}
                          username: ingestor@example.com
                          password: {env: MOTADATA_PASSWORD}
                    """,
                environment: ["MOTADATA_CLIENT_SECRET": "client-secret", "MOTADATA_PASSWORD": "user-password"],
                cluster: cluster,
                topic: "motadata.raw"
            )
        }
        let motadataIncidents = motadataServer.ledger.incidents
        #expect(motadataIncidents.count == 2)
        #expect(
            motadataIncidents.first { $0.externalReference == "am:e2e0000000000001" }?.calls == [
                "create", "update", "resolve",
            ],
            "the default incident API resolves with a status and has no notes"
        )
        #expect(
            motadataIncidents.first { $0.externalReference == "email:thread:cap-1@example.com" }?.calls == [
                "create", "comment",
            ]
        )
        #expect(motadata.tokensIssued == 1)

        let generic = FakeGenericAPI(token: "unused")
        let genericServer = FakeIncidentAPIServer(api: generic, logger: e2eLogger)
        try await genericServer.withRunning { baseURL in
            try await run(
                targetYAML: """
                    target:
                      kind: http
                      http:
                        name: itsm
                        base_url: "\(baseURL)"
                        auth: {type: oauth2_client_credentials, token_url: "\(baseURL)/oauth/token", client_id: ingestor, client_secret: {env: ITSM_SECRET}}
                        create:
                          path: /api/incidents
                          body: '{"title": "{{title}}", "description": "{{body_text}}", "severity": "{{severity}}", "external_ref": "{{dedup_key}}", "labels": "{{labels}}"}'
                          id_pointer: /data/id
                        update:
                          method: PATCH
                          path: /api/incidents/{{external_id}}
                          body: '{"title": "{{title}}", "severity": "{{severity}}", "status": "{{status}}"}'
                        resolve:
                          path: /api/incidents/{{external_id}}/resolve
                          body: '{"note": "resolved at {{resolved_at}}"}'
                        comment:
                          path: /api/incidents/{{external_id}}/comments
                          body: '{"body": "{{description}}"}'
                        lookup:
                          method: GET
                          path: /api/incidents?external_ref={{dedup_key}}
                          id_pointer: /items/0/id
                    """,
                environment: ["ITSM_SECRET": "client-secret"],
                cluster: cluster,
                topic: "generic.raw"
            )
        }
        let genericIncidents = genericServer.ledger.incidents
        #expect(genericIncidents.count == 2)
        #expect(
            genericIncidents.first { $0.externalReference == "am:e2e0000000000001" }?.calls == [
                "create", "update", "resolve",
            ]
        )
        #expect(
            genericIncidents.first { $0.externalReference == "email:thread:cap-1@example.com" }?.calls == [
                "create", "comment",
            ]
        )
        #expect(generic.tokensIssued == 1)
    }

    @Test(.timeLimit(.minutes(2)))
    func oneTrustRunsAWholeLifecycle() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        let onetrust = FakeOneTrustAPI(clientSecret: "ot-secret")
        let server = FakeIncidentAPIServer(api: onetrust, logger: e2eLogger)
        try await server.withRunning { baseURL in
            try await run(
                targetYAML: """
                    target:
                      kind: onetrust
                      onetrust:
                        base_url: "\(baseURL)"
                        org_group_id: \(FakeOneTrustAPI.orgGroupID)
                        incident_type: Service Outage
                        severity_attribute: Severity
                        resolved_stage: Closed
                        auth: {type: oauth2_client_credentials, client_id: ingestor, client_secret: {env: OT_SECRET}}
                    """,
                environment: ["OT_SECRET": "ot-secret"],
                cluster: cluster,
                topic: "onetrust.raw"
            )
        }
        let incidents = server.ledger.incidents
        #expect(incidents.count == 2)
        let alert = incidents.first { $0.fields["name"]?.string == "Disk full on db-1" }
        #expect(alert?.calls == ["create", "update", "resolve"])
        #expect(alert?.fields["attributeValues"]?["Severity"]?.array?.first?["value"]?.string == "Critical")
        let thread = incidents.first { $0.fields["name"]?.string == "Capacity review needed" }
        #expect(thread?.calls == ["create", "comment"])
        #expect(onetrust.tokensIssued == 1)
    }

    @Test(.timeLimit(.minutes(2)))
    func symantecRunsAWholeLifecycle() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        let symantec = FakeSymantecAPI()
        let server = FakeIncidentAPIServer(api: symantec, logger: e2eLogger)
        try await server.withRunning { baseURL in
            try await run(
                targetYAML: """
                    target:
                      kind: symantec
                      symantec:
                        base_url: "\(baseURL)/ServiceDeskApi"
                        username: svc-ingestor
                        password: {env: SD_PASSWORD}
                        affected_user_email: noc@example.com
                        close_code: Monitoring Cleared
                    """,
                environment: ["SD_PASSWORD": "sd-password"],
                cluster: cluster,
                topic: "symantec.raw"
            )
        }
        let incidents = server.ledger.incidents
        #expect(incidents.count == 2)
        #expect(
            incidents.first { $0.fields["incidentName"]?.string == "Disk full on db-1" }?.calls == [
                "create", "update", "resolve",
            ]
        )
        #expect(
            incidents.first { $0.fields["incidentName"]?.string == "Capacity review needed" }?.calls == [
                "create", "comment",
            ]
        )
        #expect(symantec.logins == 1)
    }

    @Test(.timeLimit(.minutes(2)))
    func infraonRunsAWholeLifecycle() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        let infraon = FakeInfraonAPI(apiKey: "unused", password: "inf-password")
        let server = FakeIncidentAPIServer(api: infraon, logger: e2eLogger)
        try await server.withRunning { baseURL in
            try await run(
                targetYAML: """
                    target:
                      kind: infraon
                      infraon:
                        base_url: "\(baseURL)"
                        requester_email: noc@example.com
                        auth: {type: login, username: ingestor, password: {env: INFRAON_PASSWORD}}
                    """,
                environment: ["INFRAON_PASSWORD": "inf-password"],
                cluster: cluster,
                topic: "infraon.raw"
            )
        }
        let incidents = server.ledger.incidents
        #expect(incidents.count == 2)
        func carrying(_ key: String) -> FakeLedger.Incident? {
            incidents.first {
                $0.fields["basic_info"]?["description"]?.string?.hasSuffix("ingestor-dedup-key: \(key)") == true
            }
        }
        let alert = carrying("am:e2e0000000000001")
        #expect(alert?.calls == ["create", "update", "resolve", "comment"])
        #expect(alert?.fields["basic_info"]?["priority"]?.string == "Critical")
        #expect(carrying("email:thread:cap-1@example.com")?.calls == ["create", "comment"])
        #expect(infraon.logins == 1)
    }

    /// Credentials never reach logs (at trace level) or dead letters, even when the API refuses them and echoes
    /// them back in its error body.
    @Test(.timeLimit(.minutes(2)))
    func refusedCredentialsAppearInNoLogAndNoDeadLetter() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        let captured = CapturedLog()
        let logger = {
            var logger = Logger(label: "secrets") { _ in captured }
            logger.logLevel = .trace
            return logger
        }()
        let password = "Pa55-word-never-shown"
        let clientSecret = "client-secret"  // right, so the refusal is about the password and echoes both
        let server = FakeIncidentAPIServer(
            api: FakeMotadataAPI(apiKey: "other", echoesCredentials: true),
            logger: e2eLogger
        )
        try await server.withRunning { baseURL in
            try await run(
                targetYAML: """
                    target:
                      kind: motadata
                      motadata:
                        base_url: "\(baseURL)"
                        requester_email: ingestor@example.com
                        auth: {type: oauth2_password, client_id: ingestor-client, client_secret: {env: CS}, username: ingestor@example.com, password: {env: PW}}
                    """,
                environment: ["CS": clientSecret, "PW": password],
                cluster: cluster,
                topic: "secrets.raw",
                logger: logger,
                deadLetters: 3
            )
        }
        let letters = try await KafkaTopicReader.readAll(
            topic: "secrets.raw.dlq",
            bootstrapServers: cluster.bootstrapServerList,
            logger: e2eLogger
        )
        #expect(
            letters.count == 3,
            "every create is dead-lettered (the worse alert is a create again); the rest find nothing open"
        )
        #expect(letters.allSatisfy { $0.header("ingestor-dlq-reason") == "target_unauthorized" })
        #expect(
            letters.allSatisfy { $0.header("ingestor-dlq-response")?.contains("[REDACTED]") == true },
            "the echoed credentials were in the answer and were removed"
        )
        let headers = letters.flatMap { letter in
            letter.headers.map { "\($0.key)=\(String(decoding: $0.value ?? [], as: UTF8.self))" }
        }
        let everything = captured.text + "\n" + headers.joined(separator: "\n")
        #expect(captured.text.contains("dead-lettered"), "the failures were logged: \(captured.text.prefix(300))")
        let basic = Data("ingestor-client:\(clientSecret)".utf8).base64EncodedString()
        for secret in [password, basic] {
            #expect(!everything.contains(secret), "a secret leaked")
        }
    }
}

/// A log handler that keeps every line, with its metadata, for inspection.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lock.withLock { lines.append("\(event.level) \(event.message) \(all)") }
    }

    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}

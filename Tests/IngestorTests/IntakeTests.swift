import Crypto
import Foundation
import Hummingbird
import IncidentAPI
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing
import _CryptoExtras

/// The webhook intake over real loopback HTTP (libcurl → Hummingbird) into the embedded cluster.
@Suite("Webhook intake", .serialized)
struct IntakeTests {
    static let secretEnvironment = ["INTAKE_TOKEN": "s3cret-token", "INTAKE_HMAC": "hmac-key"]

    static func configuration(bootstrap: String, extra: String = "") throws -> IngestorConfiguration {
        try IngestorConfiguration.parse(
            yaml: """
                kafka: {bootstrap_servers: "\(bootstrap)"}
                sources: [{topic: alerts.raw}]
                dead_letter: {topic: alerts.dlq}
                target: {kind: devrev, devrev: {base_url: "http://127.0.0.1:9", token: {env: INTAKE_TOKEN}, resolved_stage: x}}
                intake:
                  max_body_bytes: 1024
                  ack_timeout: 1s
                  retry_after: 7s
                  sources:
                    - {name: am, topic: alerts.raw, format: alertmanager, key_pointer: /groupKey, auth: {bearer: {env: INTAKE_TOKEN}}}
                    - {name: hooks, topic: alerts.raw, auth: {hmac: {secret: {env: INTAKE_HMAC}, header: X-Hub-Signature-256, prefix: "sha256="}}}
                \(extra)
                """,
            environment: secretEnvironment
        )
    }

    /// Runs the intake on a free loopback port for `body`, with its producer on `bootstrap`.
    static func withIntake<T: Sendable>(
        _ configuration: IngestorConfiguration,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        _ body: @Sendable (String, CurlHTTPClient) async throws -> T
    ) async throws -> T {
        let producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: e2eLogger)
        let client = CurlHTTPClient(logger: e2eLogger)
        let intake = WebhookIntake(
            configuration: try #require(configuration.intake),
            producer: producer,
            client: client,
            factory: PrometheusMetricsFactory(registry: registry),
            logger: e2eLogger
        )
        let port = Mutex<Int?>(nil)
        let server = IntakeRoutes.server(intake, host: "127.0.0.1", port: 0, logger: e2eLogger) { bound in
            port.withLock { $0 = bound }
        }
        let group = ServiceGroup(services: [server], logger: e2eLogger)
        let running = Task { try await group.run() }
        defer {
            client.shutdown()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while port.withLock({ $0 }) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let baseURL = "http://127.0.0.1:\(try #require(port.withLock { $0 }))"
        do {
            let result = try await body(baseURL, client)
            await group.triggerGracefulShutdown()
            try await running.value
            await producer.close(timeout: .seconds(2))
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await running.value
            await producer.close(timeout: .seconds(2))
            throw error
        }
    }

    static func post(
        _ client: CurlHTTPClient,
        _ url: String,
        body: String,
        headers: [HTTPHeader] = []
    ) async throws -> IncidentAPI.HTTPResponse {
        try await client.execute(
            IncidentAPI.HTTPRequest(
                method: "POST",
                url: url,
                headers: [HTTPHeader("Content-Type", "application/json")] + headers,
                body: Array(body.utf8)
            )
        )
    }

    static func records(_ cluster: EmbeddedKafkaCluster) async throws -> [KafkaMessage] {
        try await KafkaTopicReader.readAll(
            topic: "alerts.raw",
            bootstrapServers: cluster.bootstrapServerList,
            logger: e2eLogger
        )
    }

    @Test(.timeLimit(.minutes(2)))
    func eachStatusOfTheEndpoint() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 1)
        let registry = PrometheusCollectorRegistry()
        let configuration = try Self.configuration(bootstrap: cluster.bootstrapServers)
        let alert = #"{"version":"4","groupKey":"g1","status":"firing","alerts":[]}"#
        try await Self.withIntake(configuration, registry: registry) { baseURL, client in
            // 202 once Kafka acknowledged, with where the record landed.
            let accepted = try await Self.post(
                client,
                "\(baseURL)/v1/ingest/am",
                body: alert,
                headers: [HTTPHeader("Authorization", "Bearer s3cret-token")]
            )
            #expect(accepted.status == 202, "\(String(decoding: accepted.body, as: UTF8.self))")
            let answer = try JSONParser().parse(accepted.body)
            #expect(answer["status"]?.string == "accepted")
            #expect(answer["offset"]?.int64 == 0)

            // 401 without credentials or with wrong ones, with the scheme to use.
            let missing = try await Self.post(client, "\(baseURL)/v1/ingest/am", body: alert)
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            let wrong = try await Self.post(
                client,
                "\(baseURL)/v1/ingest/am",
                body: alert,
                headers: [HTTPHeader("Authorization", "Bearer s3cret-tokem")]
            )
            #expect(wrong.status == 401)

            // HMAC of the body in the configured header.
            let mac = HMAC<SHA256>.authenticationCode(
                for: Array(alert.utf8),
                using: SymmetricKey(data: Array("hmac-key".utf8))
            )
            let hex = mac.map { String(format: "%02x", $0) }.joined()
            let signed = try await Self.post(
                client,
                "\(baseURL)/v1/ingest/hooks",
                body: alert,
                headers: [HTTPHeader("X-Hub-Signature-256", "sha256=\(hex)")]
            )
            #expect(signed.status == 202)
            let tampered = try await Self.post(
                client,
                "\(baseURL)/v1/ingest/hooks",
                body: alert + " ",
                headers: [HTTPHeader("X-Hub-Signature-256", "sha256=\(hex)")]
            )
            #expect(tampered.status == 401, "the signature covers the body")
            let unsigned = try await Self.post(client, "\(baseURL)/v1/ingest/hooks", body: alert)
            #expect(unsigned.status == 401)

            // 413 over the size limit, 404 for a source nobody configured.
            let large = try await Self.post(
                client,
                "\(baseURL)/v1/ingest/am",
                body: String(repeating: "x", count: 2000),
                headers: [HTTPHeader("Authorization", "Bearer s3cret-token")]
            )
            #expect(large.status == 413)
            let unknown = try await Self.post(client, "\(baseURL)/v1/ingest/nagios", body: alert)
            #expect(unknown.status == 404)
            let unknownBody = String(decoding: unknown.body, as: UTF8.self)
            #expect(
                !unknownBody.contains("am") && !unknownBody.contains("hooks"),
                "no names for strangers: \(unknownBody)"
            )

            // 400 for an empty body, with or without a Content-Length: it could only become a dead letter.
            let empty = try await Self.post(
                client,
                "\(baseURL)/v1/ingest/am",
                body: "",
                headers: [HTTPHeader("Authorization", "Bearer s3cret-token")]
            )
            #expect(empty.status == 400, "\(String(decoding: empty.body, as: UTF8.self))")
            let emptyChunked = try await Self.post(
                client,
                "\(baseURL)/v1/ingest/am",
                body: "",
                headers: [
                    HTTPHeader("Authorization", "Bearer s3cret-token"), HTTPHeader("Transfer-Encoding", "chunked"),
                ]
            )
            #expect(emptyChunked.status == 400, "\(String(decoding: emptyChunked.body, as: UTF8.self))")
            // An empty body without credentials is refused for the credentials first.
            #expect(try await Self.post(client, "\(baseURL)/v1/ingest/am", body: "").status == 401)
        }
        // Only the two accepted bodies reached Kafka, byte for byte, with the documented headers.
        let records = try await Self.records(cluster)
        #expect(records.count == 2)
        #expect(records.allSatisfy { String(decoding: $0.value, as: UTF8.self) == alert })
        #expect(records.map { $0.header("ingestor-source") } == ["am", "hooks"])
        #expect(records[0].header("ingestor-format") == "alertmanager")
        #expect(records[0].key == Array("g1".utf8), "key_pointer: one group's notifications share a partition")
        #expect(records[1].key == nil)
        #expect(records[1].header("ingestor-format") == nil)
        #expect(records.allSatisfy { $0.header("content-type") == "application/json" })
        #expect(records.allSatisfy { $0.header("ingestor-received-at").flatMap(Timestamp.init(rfc3339:)) != nil })

        let metrics = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(metrics.contains(#"ingestor_intake_accepted_total{source="am"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"ingestor_intake_bytes_total{source="hooks"} \#(alert.utf8.count)"#))
        #expect(metrics.contains(#"ingestor_intake_rejected_total{source="am",reason="missing_credentials"} 2"#))
        #expect(metrics.contains(#"ingestor_intake_rejected_total{source="am",reason="invalid_credentials"} 1"#))
        #expect(metrics.contains(#"ingestor_intake_rejected_total{source="hooks",reason="invalid_signature"} 1"#))
        #expect(metrics.contains(#"ingestor_intake_rejected_total{source="am",reason="too_large"} 1"#))
        #expect(metrics.contains(#"ingestor_intake_rejected_total{source="unknown",reason="unknown_source"} 1"#))
        #expect(metrics.contains(#"ingestor_intake_rejected_total{source="am",reason="empty_body"} 2"#))
        #expect(metrics.contains("ingestor_intake_kafka_ack_seconds"))
    }

    @Test(.timeLimit(.minutes(1)))
    func kafkaUnavailableIs503WithRetryAfter() async throws {
        // Nothing listens on port 1: librdkafka queues the record and never gets an acknowledgement.
        let configuration = try Self.configuration(bootstrap: "127.0.0.1:1")
        let registry = PrometheusCollectorRegistry()
        try await Self.withIntake(configuration, registry: registry) { baseURL, client in
            let started = ContinuousClock.now
            let answer = try await Self.post(
                client,
                "\(baseURL)/v1/ingest/am",
                body: "{}",
                headers: [HTTPHeader("Authorization", "Bearer s3cret-token")]
            )
            #expect(answer.status == 503)
            #expect(answer.header("Retry-After") == "7")
            #expect(ContinuousClock.now - started < .seconds(5), "answered after intake.ack_timeout")
        }
        let metrics = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(metrics.contains(#"ingestor_intake_rejected_total{source="am",reason="kafka_unavailable"} 1"#))
    }
}

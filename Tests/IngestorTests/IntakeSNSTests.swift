import Crypto
import Foundation
import Hummingbird
import IncidentAPI
import IngestorKit
import KafkaIO
import Normalizer
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing
import _CryptoExtras

/// AWS SNS: signatures checked against a certificate served on loopback (the trusted-URL pattern allows it), the
/// subscription handshake confirmed when enabled.
@Suite("Webhook intake: SNS", .serialized)
struct IntakeSNSTests {
    /// A throwaway RSA key and self-signed certificate, made with the openssl command.
    static func keyAndCertificate() throws -> (key: _RSA.Signing.PrivateKey, certificate: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sns-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sns.test",
            "-keyout", directory.appendingPathComponent("key.pem").path,
            "-out", directory.appendingPathComponent("cert.pem").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openssl (scripts/install-deps installs it)")
        let key = try _RSA.Signing.PrivateKey(
            pemRepresentation: String(contentsOf: directory.appendingPathComponent("key.pem"), encoding: .utf8)
        )
        return (key, try String(contentsOf: directory.appendingPathComponent("cert.pem"), encoding: .utf8))
    }

    /// An SNS message signed like SNS signs it.
    static func message(
        type: String,
        fields: [(String, String)],
        certificateURL: String,
        key: _RSA.Signing.PrivateKey,
        version: String
    ) throws -> String {
        var object = JSONObject(fields.map { ($0.0, JSONValue.string($0.1)) })
        object["Type"] = .string(type)
        let order =
            type == "Notification"
            ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
            : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        let signed = order.compactMap { name in object[name]?.string.map { name + "\n" + $0 + "\n" } }.joined()
        let signature =
            version == "1"
            ? try key.signature(for: Insecure.SHA1.hash(data: Array(signed.utf8)), padding: .insecurePKCS1v1_5)
            : try key.signature(for: SHA256.hash(data: Array(signed.utf8)), padding: .insecurePKCS1v1_5)
        object["SignatureVersion"] = .string(version)
        object["Signature"] = .string(signature.rawRepresentation.base64EncodedString())
        object["SigningCertURL"] = .string(certificateURL)
        return JSONWriter.string(.object(object))
    }

    /// Posts `message` the way SNS does: its type and topic also in `x-amz-sns-*` headers.
    static func deliver(
        _ client: CurlHTTPClient,
        _ url: String,
        _ message: String,
        headers extra: [HTTPHeader] = []
    ) async throws -> IncidentAPI.HTTPResponse {
        let object = try JSONParser().parse(Array(message.utf8))
        var headers = [HTTPHeader("x-amz-sns-message-type", object["Type"]?.string ?? "")]
        if let topic = object["TopicArn"]?.string { headers.append(HTTPHeader("x-amz-sns-topic-arn", topic)) }
        return try await IntakeTests.post(client, url, body: message, headers: headers + extra)
    }

    /// What the "SNS" side does and saw.
    final class SNSSide: Sendable {
        /// `/cert.pem` answers 500 while this holds.
        let certificateDown = Mutex(false)
        /// `/confirm` requests.
        let confirmations = Mutex(0)
    }

    /// The "SNS" side on loopback: `/cert.pem` and `/confirm`, as `side` says; runs `body` with its base URL.
    static func withSNSSide(
        certificate: String,
        _ side: SNSSide = SNSSide(),
        _ body: @Sendable (String) async throws -> Void
    ) async throws {
        let router = Router()
        router.get("/cert.pem") { _, _ -> Response in
            guard !side.certificateDown.withLock({ $0 }) else { return Response(status: .internalServerError) }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: certificate)))
        }
        router.get("/confirm") { _, _ -> String in
            side.confirmations.withLock { $0 += 1 }
            return "<ConfirmSubscriptionResponse/>"
        }
        let snsPort = Mutex<Int?>(nil)
        let sns = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in snsPort.withLock { $0 = channel.localAddress?.port } },
            logger: e2eLogger
        )
        let snsGroup = ServiceGroup(services: [sns], logger: e2eLogger)
        let snsRunning = Task { try await snsGroup.run() }
        while snsPort.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        do {
            try await body("http://127.0.0.1:\(snsPort.withLock { $0 }!)")
        } catch {
            await snsGroup.triggerGracefulShutdown()
            try? await snsRunning.value
            throw error
        }
        await snsGroup.triggerGracefulShutdown()
        try await snsRunning.value
    }

    /// The intake's configuration with an SNS source `cw` trusting certificates on loopback.
    static func configuration(bootstrap: String) throws -> IngestorConfiguration {
        try IntakeTests.configuration(
            bootstrap: bootstrap,
            extra: """
                    - name: cw
                      topic: alerts.raw
                      auth: {none: true}
                      sns: {confirm_subscriptions: true, trusted_url_pattern: "^http://127\\\\.0\\\\.0\\\\.1:", topic_arns: ["arn:aws:sns:eu-west-1:1:alarms"]}
                """
        )
    }

    static let topic = "arn:aws:sns:eu-west-1:1:alarms"
    static let alarm = #"{"AlarmName":"cpu","NewStateValue":"ALARM"}"#

    @Test(.timeLimit(.minutes(2)))
    func signaturesAreVerifiedAndSubscriptionsConfirmed() async throws {
        let (key, certificate) = try Self.keyAndCertificate()
        let side = SNSSide()
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 1)
        let configuration = try Self.configuration(bootstrap: cluster.bootstrapServers)
        let (topic, alarm) = (Self.topic, Self.alarm)
        try await Self.withSNSSide(certificate: certificate, side) { snsBase in
            try await IntakeTests.withIntake(configuration) { baseURL, client in
                let url = "\(baseURL)/v1/ingest/cw"
                for version in ["1", "2"] {
                    let notification = try Self.message(
                        type: "Notification",
                        fields: [
                            ("Message", alarm), ("MessageId", "m-\(version)"), ("Subject", "ALARM: cpu"),
                            ("Timestamp", "2026-11-30T10:00:00.000Z"), ("TopicArn", topic),
                        ],
                        certificateURL: "\(snsBase)/cert.pem",
                        key: key,
                        version: version
                    )
                    let accepted = try await Self.deliver(client, url, notification)
                    #expect(
                        accepted.status == 202,
                        "SignatureVersion \(version): \(String(decoding: accepted.body, as: UTF8.self))"
                    )
                    let forged = notification.replacingOccurrences(of: "ALARM: cpu", with: "OK: cpu")
                    #expect(forged != notification)
                    #expect(try await Self.deliver(client, url, forged).status == 401, "a changed message")
                }
                let elsewhere = try Self.message(
                    type: "Notification",
                    fields: [
                        ("Message", alarm), ("MessageId", "m-3"), ("Timestamp", "2026-11-30T10:00:00.000Z"),
                        ("TopicArn", topic),
                    ],
                    certificateURL: "https://evil.example/cert.pem",
                    key: key,
                    version: "2"
                )
                #expect(
                    try await Self.deliver(client, url, elsewhere).status == 401,
                    "an untrusted certificate URL"
                )
                let otherTopic = try Self.message(
                    type: "Notification",
                    fields: [
                        ("Message", alarm), ("MessageId", "m-4"), ("Timestamp", "2026-11-30T10:00:00.000Z"),
                        ("TopicArn", "arn:aws:sns:eu-west-1:1:other"),
                    ],
                    certificateURL: "\(snsBase)/cert.pem",
                    key: key,
                    version: "2"
                )
                #expect(try await Self.deliver(client, url, otherTopic).status == 403, "not in sns.topic_arns")

                let subscribe = try Self.message(
                    type: "SubscriptionConfirmation",
                    fields: [
                        ("Message", "You have chosen to subscribe"), ("MessageId", "s-1"), ("Token", "tok"),
                        ("SubscribeURL", "\(snsBase)/confirm"), ("Timestamp", "2026-11-30T10:00:00.000Z"),
                        ("TopicArn", topic),
                    ],
                    certificateURL: "\(snsBase)/cert.pem",
                    key: key,
                    version: "1"
                )
                let confirmed = try await Self.deliver(client, url, subscribe)
                #expect(confirmed.status == 200)
                #expect(side.confirmations.withLock { $0 } == 1, "the SubscribeURL was fetched")
            }
        }
        let records = try await IntakeTests.records(cluster)
        #expect(records.count == 2, "the two genuine notifications, not the confirmation")
        #expect(records.allSatisfy { $0.header("ingestor-sns-verified") == "true" })
    }

    @Test(.timeLimit(.minutes(2)))
    func aCertificateThatCannotBeFetchedIs503SoSNSDeliversAgain() async throws {
        let (key, certificate) = try Self.keyAndCertificate()
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 1)
        let configuration = try Self.configuration(bootstrap: cluster.bootstrapServers)
        let registry = PrometheusCollectorRegistry()
        let side = SNSSide()
        side.certificateDown.withLock { $0 = true }
        let nobodyListens = try freeLoopbackPort()
        try await Self.withSNSSide(certificate: certificate, side) { snsBase in
            try await IntakeTests.withIntake(configuration, registry: registry) { baseURL, client in
                let url = "\(baseURL)/v1/ingest/cw"
                func notification(_ id: String, certificateURL: String) throws -> String {
                    try Self.message(
                        type: "Notification",
                        fields: [
                            ("Message", Self.alarm), ("MessageId", id), ("Timestamp", "2026-11-30T10:00:00.000Z"),
                            ("TopicArn", Self.topic),
                        ],
                        certificateURL: certificateURL,
                        key: key,
                        version: "2"
                    )
                }
                // Nothing listens where the certificate should be, then its host answers 500: both say "later".
                for certificateURL in ["http://127.0.0.1:\(nobodyListens)/cert.pem", "\(snsBase)/cert.pem"] {
                    let answer = try await Self.deliver(
                        client,
                        url,
                        try notification("m-1", certificateURL: certificateURL)
                    )
                    #expect(answer.status == 503, "\(certificateURL): \(String(decoding: answer.body, as: UTF8.self))")
                    #expect(answer.header("Retry-After") == "7", "intake.retry_after")
                }
                // SNS delivers the same message again once the certificate can be fetched: it is accepted.
                side.certificateDown.withLock { $0 = false }
                let again = try await Self.deliver(
                    client,
                    url,
                    try notification("m-1", certificateURL: "\(snsBase)/cert.pem")
                )
                #expect(again.status == 202, "\(String(decoding: again.body, as: UTF8.self))")
            }
        }
        let metrics = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(metrics.contains(#"ingestor_intake_rejected_total{source="cw",reason="certificate_unavailable"} 2"#))
        #expect(!metrics.contains(#"reason="invalid_signature""#), "nothing was refused as forged")
        #expect(try await IntakeTests.records(cluster).count == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func whatSNSHeadersShowIsRefusedBeforeTheBody() async throws {
        let configuration = try Self.configuration(bootstrap: "127.0.0.1:1")
        try await IntakeTests.withIntake(configuration) { baseURL, client in
            let url = "\(baseURL)/v1/ingest/cw"
            let body = #"{"Type":"Notification"}"#
            let noType = try await IntakeTests.post(client, url, body: body)
            #expect(noType.status == 400, "SNS always sends x-amz-sns-message-type")
            let raw = try await IntakeTests.post(
                client,
                url,
                body: body,
                headers: [
                    HTTPHeader("x-amz-sns-message-type", "Notification"), HTTPHeader("x-amz-sns-rawdelivery", "true"),
                ]
            )
            #expect(raw.status == 401, "raw delivery is unsigned, and signatures are required")
            let otherTopic = try await IntakeTests.post(
                client,
                url,
                body: body,
                headers: [
                    HTTPHeader("x-amz-sns-message-type", "Notification"),
                    HTTPHeader("x-amz-sns-topic-arn", "arn:aws:sns:eu-west-1:1:other"),
                ]
            )
            #expect(otherTopic.status == 403, "not in sns.topic_arns")
            #expect(otherTopic.header("Connection") == "close", "refused from the headers: the body is not read")
        }
    }
}

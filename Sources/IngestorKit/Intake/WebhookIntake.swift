import Crypto
import Foundation
public import IncidentAPI
public import KafkaIO
public import Logging
public import Metrics
public import Normalizer
import Synchronization

/// `POST /v1/ingest/{source}`: checks who sent the request, writes its body to the source's Kafka topic with headers
/// for the source, receive time and content type, and answers 202 only once Kafka acknowledged the record, so a
/// sender's retry covers every failure. 401 without valid credentials, 413 over the size limit, 503 with
/// `Retry-After` when Kafka does not acknowledge in time, 404 for an unknown source.
public final class WebhookIntake: Sendable {
    /// An answer to one request.
    public struct Response: Sendable {
        /// The HTTP status.
        public var status: Int
        /// Extra headers (`Retry-After`, `WWW-Authenticate`).
        public var headers: [HTTPHeader] = []
        /// The JSON body.
        public var body: JSONValue
    }

    /// The record headers the intake writes.
    public enum Header {
        public static let source = "ingestor-source"
        public static let receivedAt = "ingestor-received-at"
        public static let contentType = "content-type"
        public static let snsVerified = "ingestor-sns-verified"
    }

    let configuration: IntakeConfiguration
    private let producer: KafkaProducer
    private let client: any HTTPClient
    private let sns: SNSVerifier
    private let logger: Logger
    private let factory: any MetricsFactory
    private let instruments = Mutex<[String: any CounterHandler]>([:])

    /// Creates the intake.
    /// - Parameters:
    ///   - producer: the producer records go through (the worker's, idempotent).
    ///   - client: fetches SNS certificates and confirms subscriptions.
    ///   - factory: where the `ingestor_intake_*` metrics go.
    public init(
        configuration: IntakeConfiguration,
        producer: KafkaProducer,
        client: any HTTPClient,
        factory: any MetricsFactory,
        logger: Logger
    ) {
        self.configuration = configuration
        self.producer = producer
        self.client = client
        sns = SNSVerifier(client: client)
        self.factory = factory
        self.logger = logger
    }

    /// The largest body accepted.
    public var maxBodyBytes: Int { configuration.maxBodyBytes }

    /// Handles one request whose body was read (up to ``maxBodyBytes``).
    /// - Parameter header: the request's header value for a name, case-insensitively.
    public func handle(source name: String, header: (String) -> String?, body: [UInt8]) async -> Response {
        guard let source = configuration.source(name) else {
            reject("unknown", "unknown_source")
            return Response(
                status: 404,
                body: Self.error(
                    "no intake source \(name); configured: \(configuration.sources.map(\.name).joined(separator: ", "))"
                )
            )
        }
        if let refusal = authenticate(source, header: header, body: body) { return refusal }
        var headers = [
            KafkaHeader(key: Header.source, text: source.name),
            KafkaHeader(key: Header.receivedAt, text: Timestamp.current.rfc3339),
        ]
        if let contentType = header("content-type") {
            headers.append(KafkaHeader(key: Header.contentType, text: contentType))
        }
        if let format = source.format { headers.append(KafkaHeader(key: Normalizer.formatHeader, text: format)) }
        if let options = source.sns {
            switch await checkSNS(source, options, header: header, body: body) {
            case .refused(let response): return response
            case .answered(let response): return response
            case .verified: headers.append(KafkaHeader(key: Header.snsVerified, text: "true"))
            case .unverified: break
            }
        }
        return await write(source, body: body, headers: headers)
    }

    /// A request over the size limit (told by the server before the body is read).
    public func tooLarge(source name: String) -> Response {
        reject(configuration.source(name) == nil ? "unknown" : name, "too_large")
        return Response(
            status: 413,
            body: Self.error("the body is larger than intake.max_body_bytes (\(configuration.maxBodyBytes) bytes)")
        )
    }

    // MARK: - Authentication

    private func authenticate(
        _ source: IntakeConfiguration.Source,
        header: (String) -> String?,
        body: [UInt8]
    ) -> Response? {
        switch source.authentication {
        case .none:
            return nil
        case .bearer(let token):
            let given = header("authorization").flatMap { value -> String? in
                let parts = value.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
            guard let given, Self.constantTimeEqual(Array(given.utf8), Array(token.exposedValue.utf8)) else {
                return unauthorized(
                    source,
                    given == nil ? "missing_credentials" : "invalid_credentials",
                    scheme: "Bearer"
                )
            }
            return nil
        case .hmac(let check):
            guard let value = header(check.header.lowercased()) else {
                return unauthorized(source, "missing_signature", scheme: nil)
            }
            guard value.hasPrefix(check.prefix),
                let signature = Self.decode(String(value.dropFirst(check.prefix.count)), encoding: check.encoding),
                Self.validHMAC(signature, body: body, secret: check.secret, algorithm: check.algorithm)
            else { return unauthorized(source, "invalid_signature", scheme: nil) }
            return nil
        }
    }

    private func unauthorized(_ source: IntakeConfiguration.Source, _ reason: String, scheme: String?) -> Response {
        reject(source.name, reason)
        return Response(
            status: 401,
            headers: scheme.map { [HTTPHeader("WWW-Authenticate", "\($0) realm=\"ingestor\"")] } ?? [],
            body: Self.error("not authorized (\(reason.replacingOccurrences(of: "_", with: " ")))")
        )
    }

    static func validHMAC(_ signature: [UInt8], body: [UInt8], secret: Secret, algorithm: String) -> Bool {
        let key = SymmetricKey(data: Array(secret.exposedValue.utf8))
        switch algorithm {
        case "sha1": return HMAC<Insecure.SHA1>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        case "sha512": return HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        default: return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        }
    }

    static func decode(_ text: String, encoding: String) -> [UInt8]? {
        if encoding == "base64" { return Data(base64Encoded: text).map(Array.init) }
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Compares without an early exit, so the time taken does not tell how much of a token was right.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }

    // MARK: - SNS

    private enum SNSOutcome {
        case refused(Response)
        case answered(Response)
        case verified
        case unverified
    }

    private func checkSNS(
        _ source: IntakeConfiguration.Source,
        _ options: IntakeConfiguration.SNS,
        header: (String) -> String?,
        body: [UInt8]
    ) async -> SNSOutcome {
        if header("x-amz-sns-rawdelivery")?.lowercased() == "true" {
            guard !options.verifySignatures else {
                reject(source.name, "unsigned")
                return .refused(
                    Response(
                        status: 401,
                        body: Self.error(
                            "raw message delivery carries no signature; turn sns.verify_signatures off for this source"
                        )
                    )
                )
            }
            return .unverified
        }
        guard let message = (try? JSONParser().parse(body))?.object, message["Type"]?.string != nil else {
            reject(source.name, "not_sns")
            return .refused(Response(status: 400, body: Self.error("the body is not an SNS message")))
        }
        if options.verifySignatures {
            do {
                try await sns.verify(message, trustedURLPattern: options.trustedURLPattern)
            } catch {
                reject(source.name, "invalid_signature")
                logger.warning("intake \(source.name): refused an SNS message: \(error)")
                return .refused(Response(status: 401, body: Self.error("SNS signature check failed: \(error)")))
            }
        }
        let topicARN = message["TopicArn"]?.string ?? ""
        if !options.topicARNs.isEmpty, !options.topicARNs.contains(topicARN) {
            reject(source.name, "topic_not_allowed")
            return .refused(Response(status: 403, body: Self.error("topic \(topicARN) is not in sns.topic_arns")))
        }
        if message["Type"]?.string == "SubscriptionConfirmation", options.confirmSubscriptions {
            return .answered(await confirm(source, message, options))
        }
        return options.verifySignatures ? .verified : .unverified
    }

    /// Confirms a subscription by fetching its `SubscribeURL`; SNS sends the confirmation again when this fails.
    private func confirm(
        _ source: IntakeConfiguration.Source,
        _ message: JSONObject,
        _ options: IntakeConfiguration.SNS
    ) async -> Response {
        let topic = message["TopicArn"]?.string ?? "?"
        guard let url = message["SubscribeURL"]?.string else {
            reject(source.name, "not_sns")
            return Response(status: 400, body: Self.error("the SubscriptionConfirmation has no SubscribeURL"))
        }
        do {
            try SNSVerifier.checkTrusted(url, pattern: options.trustedURLPattern, what: "SubscribeURL")
        } catch {
            reject(source.name, "untrusted_url")
            return Response(status: 400, body: Self.error("\(error)"))
        }
        do {
            let answer = try await client.execute(
                HTTPRequest(method: "GET", url: url, timeout: configuration.ackTimeout)
            )
            guard (200..<300).contains(answer.status) else {
                throw SNSVerifier.Failure(description: "SubscribeURL answered \(answer.status)")
            }
        } catch {
            reject(source.name, "confirmation_failed")
            logger.warning("intake \(source.name): confirming the subscription to \(topic) failed: \(error)")
            return unavailable("confirming the subscription failed: \(error)")
        }
        count("ingestor_intake_sns_confirmations_total", [("source", source.name)])
        logger.notice("intake \(source.name): confirmed the SNS subscription to \(topic)")
        return Response(
            status: 200,
            body: .object(JSONObject([("status", .string("confirmed")), ("topic", .string(topic))]))
        )
    }

    // MARK: - Kafka

    private func write(_ source: IntakeConfiguration.Source, body: [UInt8], headers: [KafkaHeader]) async -> Response {
        let started = ContinuousClock.now
        let key = source.keyPointer.flatMap { pointer in
            (try? JSONParser().parse(body)).flatMap { pointer.resolve(in: $0)?.scalarText }.map { Array($0.utf8) }
        }
        let outcome = await Self.race(timeout: configuration.ackTimeout) { [producer] in
            try await producer.send(topic: source.topic, key: key, value: body, headers: headers)
        }
        switch outcome {
        case .success(let report):
            count("ingestor_intake_accepted_total", [("source", source.name)])
            count("ingestor_intake_bytes_total", [("source", source.name)], by: body.count)
            factory.makeTimer(label: "ingestor_intake_kafka_ack_seconds", dimensions: [("source", source.name)])
                .recordNanoseconds(Int64((ContinuousClock.now - started).nanoseconds))
            return Response(
                status: 202,
                body: .object(
                    JSONObject([
                        ("status", .string("accepted")), ("topic", .string(source.topic)),
                        ("partition", .number(String(report.topicPartition.partition))),
                        ("offset", .number(String(report.offset))),
                    ])
                )
            )
        case .failure(let error):
            reject(source.name, "kafka_unavailable")
            logger.warning("intake \(source.name): Kafka did not acknowledge \(source.topic): \(error)")
            return unavailable("Kafka did not acknowledge the record: \(error)")
        }
    }

    private func unavailable(_ message: String) -> Response {
        Response(
            status: 503,
            headers: [HTTPHeader("Retry-After", String(configuration.retryAfter.components.seconds))],
            body: Self.error(message)
        )
    }

    /// Kafka's answer, or a timeout: librdkafka keeps the record queued and may still write it later, which a
    /// sender's retry turns into a duplicate that deduplication absorbs.
    static func race(
        timeout: Duration,
        _ operation: @escaping @Sendable () async throws -> KafkaDeliveryReport
    ) async -> Result<KafkaDeliveryReport, any Error> {
        let (answers, input) = AsyncStream.makeStream(of: Result<KafkaDeliveryReport, any Error>.self)
        Task {
            do {
                input.yield(.success(try await operation()))
            } catch {
                input.yield(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            input.yield(.failure(KafkaError(.timedOut, "no acknowledgement within \(timeout)")))
        }
        defer { timer.cancel() }
        for await first in answers { return first }
        return .failure(CancellationError())
    }

    // MARK: - Metrics

    private func reject(_ source: String, _ reason: String) {
        count("ingestor_intake_rejected_total", [("source", source), ("reason", reason)])
    }

    private func count(_ label: String, _ dimensions: [(String, String)], by amount: Int = 1) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        let counter = instruments.withLock { cache in
            if let found = cache[key] { return found }
            let made = factory.makeCounter(label: label, dimensions: dimensions)
            cache[key] = made
            return made
        }
        counter.increment(by: Int64(amount))
    }

    static func error(_ message: String) -> JSONValue {
        .object(JSONObject([("status", .string("error")), ("error", .string(message))]))
    }
}

extension Timestamp {
    /// The wall-clock time now.
    static var current: Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

import Foundation
public import IncidentAPI
public import KafkaIO
public import Logging
public import Metrics
public import Normalizer
import Synchronization

/// `POST /v1/ingest/{source}`: checks who sent the request, writes its body to the source's Kafka topic with headers
/// for the source, receive time and content type, and answers 202 only once Kafka acknowledged the record, so a
/// sender's retry covers every failure. 401 without valid credentials, 400 for an empty body, 413 over the size
/// limit, 503 with `Retry-After` when Kafka does not acknowledge in time (or an SNS signing certificate cannot be
/// fetched), 404 for an unknown source.
///
/// The server asks ``admit(source:header:contentLength:)`` before reading a body, so whatever the headers can
/// refuse is refused without reading it, then ``handle(_:header:body:)`` with the body.
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
    let client: any HTTPClient
    let sns: SNSVerifier
    let logger: Logger
    let factory: any MetricsFactory
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

    /// What the intake decided from a request's head, before any of its body is read.
    public enum Admission: Sendable {
        /// Read the body, up to ``WebhookIntake/maxBodyBytes``, and pass it to
        /// ``WebhookIntake/handle(_:header:body:)``.
        case readBody(IntakeConfiguration.Source)
        /// Answer this without reading the body (the server then closes the connection).
        case refuse(Response)
    }

    /// Checks what can be checked before the body is read: the source exists, a bearer token is right, an HMAC
    /// signature header is there and well formed, an SNS request carries SNS's headers, the declared length is
    /// neither zero nor over the limit.
    /// - Parameters:
    ///   - header: the request's header value for a name, case-insensitively.
    ///   - contentLength: the `Content-Length` the request declares; `nil` for a chunked body.
    public func admit(source name: String, header: (String) -> String?, contentLength: Int?) -> Admission {
        guard let source = configuration.source(name) else {
            reject("unknown", "unknown_source")
            // The configured names are not for unauthenticated callers to enumerate.
            logger.debug(
                "intake: no source \(name); configured: \(configuration.sources.map(\.name).joined(separator: ", "))"
            )
            return .refuse(Response(status: 404, body: Self.error("no such intake source")))
        }
        if let refusal = authenticateHead(source, header: header) { return .refuse(refusal) }
        if let options = source.sns, let refusal = checkSNSHead(source, options, header: header) {
            return .refuse(refusal)
        }
        if let contentLength, contentLength > configuration.maxBodyBytes { return .refuse(tooLarge(source: name)) }
        if contentLength == 0 { return .refuse(empty(source)) }
        return .readBody(source)
    }

    /// Handles one admitted request whose body was read (up to ``maxBodyBytes``).
    /// - Parameter header: the request's header value for a name, case-insensitively.
    public func handle(
        _ source: IntakeConfiguration.Source,
        header: (String) -> String?,
        body: [UInt8]
    ) async -> Response {
        if body.isEmpty { return empty(source) }
        if let refusal = authenticateBody(source, header: header, body: body) { return refusal }
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

    /// A request over the size limit (told by the server before the body is read, or while reading it).
    public func tooLarge(source name: String) -> Response {
        reject(configuration.source(name) == nil ? "unknown" : name, "too_large")
        return Response(
            status: 413,
            body: Self.error("the body is larger than intake.max_body_bytes (\(configuration.maxBodyBytes) bytes)")
        )
    }

    /// An empty body, refused at the door: it could only become a dead letter.
    private func empty(_ source: IntakeConfiguration.Source) -> Response {
        reject(source.name, "empty_body")
        return Response(status: 400, body: Self.error("the body is empty"))
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

    func unavailable(_ message: String) -> Response {
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

    func reject(_ source: String, _ reason: String) {
        count("ingestor_intake_rejected_total", [("source", source), ("reason", reason)])
    }

    func count(_ label: String, _ dimensions: [(String, String)], by amount: Int = 1) {
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

public import Logging
import Synchronization

/// A Kafka producer over librdkafka with idempotence on, whose ``send(topic:partition:key:value:headers:)``
/// returns only once the broker acknowledged the record.
///
/// Delivery reports are handled on librdkafka's own background thread; no task of ours polls.
public final class KafkaProducer: Sendable {
    private let client: RDKafkaClient
    private let isClosed = Mutex(false)
    private let lane = BlockingCall(label: "ingestor.kafka.producer")
    private let logger: Logger
    /// The largest record librdkafka sends: its `message.max.bytes` (default 1,000,000, or what the
    /// configuration's overrides set), compared with ``recordSize(key:value:headers:)``. A larger record is
    /// refused with ``KafkaError/Code/messageSizeTooLarge`` before anything is sent.
    public let maxMessageBytes: Int

    /// How long `send` waits before retrying when librdkafka's local queue is full.
    static let queueFullBackoff: Duration = .milliseconds(5)

    /// Creates a producer.
    /// - Throws: ``KafkaError`` when librdkafka refuses the configuration or is too old.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        try LibrdkafkaVersion.checkRuntime()
        self.logger = logger
        client = try RDKafkaClient(kind: .producer, properties: configuration.librdkafkaProperties(), logger: logger)
        maxMessageBytes = client.property("message.max.bytes").flatMap { Int($0) } ?? 1_000_000
    }

    /// Sends one record and waits for the broker's acknowledgement.
    ///
    /// A full local queue is backpressure: `send` waits and retries, it never drops. Cancelling the calling task
    /// does not recall a record librdkafka already took; `send` then still waits for its delivery report, which
    /// arrives within the configured delivery timeout.
    /// - Parameter partition: a fixed partition, or `nil` to let the key decide.
    /// - Returns: where the record landed.
    /// - Throws: ``KafkaError`` when the record could not be delivered.
    @discardableResult
    public func send(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = []
    ) async throws -> KafkaDeliveryReport {
        try await enqueue(topic: topic, partition: partition, key: key, value: value, headers: headers).report()
    }

    /// Hands one record to librdkafka with `promise` as its opaque.
    func hand(
        topic: String,
        partition: Int32?,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader],
        _ promise: RDKafkaDeliveryPromise
    ) throws(KafkaError) -> RDKafkaProduceResult {
        if isClosed.withLock({ $0 }) { throw KafkaError(.closed, "send on a closed producer") }
        if let fatal = client.fatalError { throw fatal }
        return client.produce(
            topic: topic,
            partition: partition,
            key: key,
            value: value,
            headers: headers,
            promise: promise
        )
    }

    /// Records handed to librdkafka and not yet acknowledged or failed.
    public var outstanding: Int { client.outstanding }

    /// Waits until every record in flight is acknowledged or failed, at most `timeout`.
    /// - Returns: the number of records still in flight when the wait ended.
    public func flush(timeout: Duration) async -> Int {
        let client = client
        return (try? await lane.run { client.flush(timeoutMilliseconds: Int32(timeout.milliseconds)) })
            ?? client.outstanding
    }

    /// Refuses new sends and flushes the ones in flight, waiting at most `timeout`.
    /// - Returns: the number of records still in flight when the wait ended.
    @discardableResult
    public func close(timeout: Duration) async -> Int {
        isClosed.withLock { $0 = true }
        let remaining = await flush(timeout: timeout)
        if remaining > 0 { logger.warning("producer closed with \(remaining) records not acknowledged") }
        return remaining
    }
}

public import KafkaIO

/// Writes normalized events to the events topic through a producer of their own: idempotent, with no delivery
/// timeout (an event waits for the broker as long as it takes; the raw offset waits with it) and Java's murmur2
/// partitioner, so that any client writing the same key picks the same partition.
public final class KafkaEventSink: EventSink {
    private let producer: KafkaProducer
    /// The events topic.
    public let topic: String

    /// Creates a sink writing to `topic` through `producer`.
    public init(producer: KafkaProducer, topic: String) {
        self.producer = producer
        self.topic = topic
    }

    public var destination: String { topic }

    public func send(_ record: EventRecord) async throws -> SinkReceipt {
        let delivery = try await producer.enqueue(
            topic: topic,
            key: Array(record.key.utf8),
            value: record.value,
            headers: record.headers.map { KafkaHeader(key: $0.name, value: $0.value) }
        )
        return SinkReceipt { try await delivery.report() }
    }
}

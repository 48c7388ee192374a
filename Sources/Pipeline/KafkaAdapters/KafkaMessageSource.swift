public import KafkaIO
import Normalizer

/// The pipeline's ``MessageSource`` over a ``KafkaConsumer``: the only pipeline code that sees Kafka types.
public struct KafkaMessageSource: MessageSource {
    /// The consumer.
    public let consumer: KafkaConsumer
    /// A header naming the topic whose settings apply to a record (the events topic's `ingestor-origin-topic`).
    public let originHeader: String?

    /// Wraps a consumer that is already subscribed or assigned.
    /// - Parameter originHeader: a record header that names its origin topic, when the records came from another
    ///   topic first (event records); default none.
    public init(consumer: KafkaConsumer, originHeader: String? = nil) {
        self.consumer = consumer
        self.originHeader = originHeader
    }

    public var events: Events { Events(base: consumer.events(idleTicks: true), originHeader: originHeader) }

    public func store(_ positions: [MessagePosition]) throws { try consumer.store(positions) }

    public func commit() async throws { try await consumer.commit() }

    public func pause(_ partitions: [PartitionID]) throws { try consumer.pause(partitions) }

    public func resume(_ partitions: [PartitionID]) throws { try consumer.resume(partitions) }

    public func close() async throws { try await consumer.close() }

    public func seek(_ positions: [MessagePosition]) async throws {
        try await consumer.seek(
            positions.map { KafkaTopicPartitionOffset(KafkaTopicPartition($0.partition), offset: $0.offset) }
        )
    }

    /// Kafka consumer events as ``SourceEvent``s.
    public struct Events: AsyncSequence, Sendable {
        let base: KafkaConsumer.Events
        let originHeader: String?

        public func makeAsyncIterator() -> Iterator {
            Iterator(base: base.makeAsyncIterator(), originHeader: originHeader)
        }

        /// Iterates ``Events``.
        public struct Iterator: AsyncIteratorProtocol {
            var base: KafkaConsumer.Events.Iterator
            let originHeader: String?

            public mutating func next() async throws -> SourceEvent? {
                switch try await base.next() {
                case nil: return nil
                case .partitionsAssigned(let partitions): return .assigned(partitions.map(PartitionID.init))
                case .partitionsRevoked(let partitions): return .revoked(partitions.map(PartitionID.init))
                case .message(let message):
                    var converted = SourceMessage(message)
                    if let originHeader, let origin = converted.header(originHeader) { converted.originTopic = origin }
                    return .message(converted)
                case .idle: return .idle
                }
            }
        }
    }
}

extension SourceMessage {
    /// The pipeline's view of a Kafka record.
    public init(_ message: KafkaMessage) {
        self.init(
            position: MessagePosition(partition: PartitionID(message.topicPartition), offset: message.offset),
            key: message.key,
            value: message.value,
            headers: message.headers.map { SourceMessage.Header(name: $0.key, value: $0.value) },
            timestamp: message.timestampMilliseconds.map(Timestamp.init(millisecondsSinceEpoch:))
        )
    }
}

extension KafkaConsumer {
    /// Stores the pipeline's positions (each the next offset to read) for the next commit.
    func store(_ positions: [MessagePosition]) throws {
        try store(positions.map { KafkaTopicPartitionOffset(KafkaTopicPartition($0.partition), offset: $0.offset) })
    }

    /// Pauses the pipeline's partitions.
    func pause(_ partitions: [PartitionID]) throws { try pause(partitions.map(KafkaTopicPartition.init)) }

    /// Resumes the pipeline's partitions.
    func resume(_ partitions: [PartitionID]) throws { try resume(partitions.map(KafkaTopicPartition.init)) }
}

extension PartitionID {
    /// The pipeline's id for a Kafka partition.
    public init(_ partition: KafkaTopicPartition) {
        self.init(topic: partition.topic, partition: partition.partition)
    }
}

extension KafkaTopicPartition {
    /// The Kafka partition for a pipeline partition id.
    public init(_ partition: PartitionID) {
        self.init(topic: partition.topic, partition: partition.partition)
    }
}

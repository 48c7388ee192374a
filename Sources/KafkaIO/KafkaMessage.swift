/// A topic and one of its partitions.
public struct KafkaTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition number.
    public var partition: Int32

    /// Creates a topic partition.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: KafkaTopicPartition, rhs: KafkaTopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// A topic partition with an offset.
///
/// - Important: When used to store or commit progress, `offset` is the offset of the *next* message to read
///   (the last processed offset + 1), as Kafka defines committed offsets.
public struct KafkaTopicPartitionOffset: Sendable, Hashable, CustomStringConvertible {
    /// The topic partition.
    public var topicPartition: KafkaTopicPartition
    /// The offset; see the type's note about the +1 convention.
    public var offset: Int64

    /// Creates a topic partition offset.
    public init(_ topicPartition: KafkaTopicPartition, offset: Int64) {
        self.topicPartition = topicPartition
        self.offset = offset
    }

    /// Start from the group's committed offset (or `auto.offset.reset` when there is none).
    public static let committedOrReset: Int64 = -1000
    /// Start from the oldest retained message.
    public static let beginning: Int64 = -2
    /// Start from the next message produced.
    public static let end: Int64 = -1

    public var description: String { "\(topicPartition)@\(offset)" }
}

/// A record header. Kafka allows a header without a value.
public struct KafkaHeader: Sendable, Hashable {
    /// The header name.
    public var key: String
    /// The header value; `nil` for a null value.
    public var value: [UInt8]?

    /// Creates a header.
    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    /// Creates a header with a UTF-8 text value.
    public init(key: String, text: String) {
        self.key = key
        self.value = Array(text.utf8)
    }
}

/// A record read from Kafka.
public struct KafkaMessage: Sendable, Hashable {
    /// Where the record lives.
    public var topicPartition: KafkaTopicPartition
    /// The record's offset in its partition.
    public var offset: Int64
    /// The record key; `nil` when the record has none.
    public var key: [UInt8]?
    /// The record value; empty for a null value.
    public var value: [UInt8]
    /// The record headers in order.
    public var headers: [KafkaHeader]
    /// The record timestamp in milliseconds since the epoch, when the broker has one.
    public var timestampMilliseconds: Int64?

    /// Creates a message (used by tests and by replay tooling).
    public init(
        topicPartition: KafkaTopicPartition,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader],
        timestampMilliseconds: Int64?
    ) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The topic name.
    public var topic: String { topicPartition.topic }
    /// The partition number.
    public var partition: Int32 { topicPartition.partition }

    /// The first header named `key` as UTF-8 text.
    public func header(_ key: String) -> String? {
        headers.first { $0.key == key }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Where a produced record landed.
public struct KafkaDeliveryReport: Sendable, Hashable {
    /// The partition the broker wrote to.
    public var topicPartition: KafkaTopicPartition
    /// The offset the broker assigned.
    public var offset: Int64
}

/// What a consumer yields: records, and the group's changes to its assignment, in the order they happened.
public enum KafkaConsumerEvent: Sendable, Hashable {
    /// A record.
    case message(KafkaMessage)
    /// The group gave this consumer these partitions.
    case partitionsAssigned([KafkaTopicPartition])
    /// The group took these partitions away; offsets for them can no longer be stored.
    case partitionsRevoked([KafkaTopicPartition])
    /// A poll slice (100 ms) passed with nothing to hand out. Only from ``KafkaConsumer/events(idleTicks:)`` with
    /// `idleTicks: true`: a caller that paused every partition still gets control back while the poll keeps the
    /// consumer in its group.
    case idle
}

public import Normalizer

/// A partition of a source topic.
public struct PartitionID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition number.
    public var partition: Int32

    /// Creates a partition id.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: PartitionID, rhs: PartitionID) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
    public var description: String { "\(topic)[\(partition)]" }
}

/// A message's place in its partition.
public struct MessagePosition: Sendable, Hashable, CustomStringConvertible {
    /// The partition.
    public var partition: PartitionID
    /// The offset.
    public var offset: Int64

    /// Creates a position.
    public init(partition: PartitionID, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(partition)@\(offset)" }
}

/// One raw message from a source, as the pipeline sees it (no Kafka types).
public struct SourceMessage: Sendable, Hashable {
    /// A header; Kafka allows null values.
    public struct Header: Sendable, Hashable {
        /// The name.
        public var name: String
        /// The value, or `nil` for a null value.
        public var value: [UInt8]?

        /// Creates a header.
        public init(name: String, value: [UInt8]?) {
            self.name = name
            self.value = value
        }

        /// Creates a header with a UTF-8 text value.
        public init(name: String, text: String) {
            self.init(name: name, value: Array(text.utf8))
        }
    }

    /// Where the message is.
    public var position: MessagePosition
    /// The key, if any.
    public var key: [UInt8]?
    /// The value bytes.
    public var value: [UInt8]
    /// Headers in order.
    public var headers: [Header]
    /// The record timestamp, if the source has one.
    public var timestamp: Timestamp?
    /// The topic whose decoder, grouping and storm settings apply: the message's own topic, or for a replayed dead
    /// letter the topic it first came from.
    public var originTopic: String

    /// Creates a message.
    /// - Parameter originTopic: the topic whose settings apply; default the position's topic.
    public init(
        position: MessagePosition,
        key: [UInt8]?,
        value: [UInt8],
        headers: [Header] = [],
        timestamp: Timestamp? = nil,
        originTopic: String? = nil
    ) {
        self.position = position
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.originTopic = originTopic ?? position.partition.topic
    }

    /// The value of the last header called `name`, as text.
    public func header(_ name: String) -> String? {
        headers.last { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The message as the normalizer's input.
    public var normalizerInput: NormalizerInput {
        NormalizerInput(
            payload: value,
            headers: headers.map { NormalizerInput.Header(name: $0.name, value: $0.value ?? []) },
            origin: originTopic,
            receivedAt: timestamp,
            recordID: position.description
        )
    }
}

/// What a message source yields.
public enum SourceEvent: Sendable, Hashable {
    /// A message to process.
    case message(SourceMessage)
    /// Partitions this worker now owns.
    case assigned([PartitionID])
    /// Partitions this worker no longer owns.
    case revoked([PartitionID])
    /// Nothing arrived for a while (a source may yield this so a paused intake gets control back).
    case idle
}

public import Normalizer

/// One normalized event as a record of the events topic: keyed so that everything one incident is made of lands on
/// one partition, valued by the event's JSON (`schemas/normalized-event.schema.json`), and carrying its raw origin in
/// headers so that whatever a crash republishes is recognisable downstream.
public struct EventRecord: Sendable, Hashable {
    /// The record headers the normalize stage writes.
    public enum Header {
        /// The raw record's topic.
        public static let originTopic = "ingestor-origin-topic"
        /// The raw record's partition.
        public static let originPartition = "ingestor-origin-partition"
        /// The raw record's offset.
        public static let originOffset = "ingestor-origin-offset"
        /// The raw record's timestamp, RFC 3339, when it had one.
        public static let originTimestamp = "ingestor-origin-timestamp"
        /// The raw record's own key, when it had one (bytes as they were).
        public static let originKey = "ingestor-origin-key"
        /// The event's place among the raw record's events, from 0: with the origin it names the event uniquely.
        public static let eventIndex = "ingestor-event-index"
        /// The decoder that read the raw record (`alertmanager`, `email`, …).
        public static let detectedFormat = "ingestor-detected-format"
        /// `application/json`.
        public static let contentType = "content-type"
    }

    /// The record key: the event's group key when its source has `group_by`, else its dedup key.
    public var key: String
    /// The event's JSON, UTF-8.
    public var value: [UInt8]
    /// The headers, in the order above.
    public var headers: [SourceMessage.Header]

    /// The record of the `index`-th event read from `origin`.
    /// - Parameter key: the record key; default the event's dedup key.
    public init(_ event: NormalizedEvent, index: Int, of origin: SourceMessage, key: String? = nil) {
        self.key = key ?? event.dedupKey
        value = Array(JSONWriter.bytes(event.jsonValue))
        let position = origin.position
        var headers = [
            SourceMessage.Header(name: Header.originTopic, text: position.partition.topic),
            SourceMessage.Header(name: Header.originPartition, text: String(position.partition.partition)),
            SourceMessage.Header(name: Header.originOffset, text: String(position.offset)),
        ]
        if let timestamp = origin.timestamp {
            headers.append(SourceMessage.Header(name: Header.originTimestamp, text: timestamp.rfc3339))
        }
        if let originKey = origin.key {
            headers.append(SourceMessage.Header(name: Header.originKey, value: originKey))
        }
        headers.append(SourceMessage.Header(name: Header.eventIndex, text: String(index)))
        // A replayed letter's count travels on, so one that fails again in the delivery stage is counted (and parked)
        // as the replay it is.
        if let replays = origin.header(DeadLetter.Field.replayCount.rawValue) {
            headers.append(SourceMessage.Header(name: DeadLetter.Field.replayCount.rawValue, text: replays))
        }
        headers.append(SourceMessage.Header(name: Header.detectedFormat, text: event.source))
        headers.append(SourceMessage.Header(name: Header.contentType, text: "application/json"))
        self.headers = headers
    }
}

/// Where the normalize stage writes events (the events topic through ``KafkaEventSink``).
public protocol EventSink: Sendable {
    /// The destination's name (the topic).
    var destination: String { get }

    /// Hands one record over now; records handed over one after the other for one key are stored in that order.
    /// - Returns: what waits for the record's acknowledgement.
    /// - Throws: when the sink refused the record at once (too large, closed); such a record never arrives.
    func send(_ record: EventRecord) async throws -> SinkReceipt
}

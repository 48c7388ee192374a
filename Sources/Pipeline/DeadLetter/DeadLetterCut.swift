/// What a dead letter leaves out so that it fits a size limit, and how to recognise the original it was cut from.
///
/// A letter is the original message plus failure headers, so a message near the source topic's size limit makes a
/// letter over the dead-letter topic's limit. Refused, it would be retried forever and hold its partition back; cut,
/// it is written and the partition moves on. The whole message stays in its source topic at the letter's
/// `ingestor-dlq-original-topic`/`-partition`/`-offset` (while retention keeps it), and the size and SHA-256 in
/// the letter tell whether a copy found there is the same message.
public struct DeadLetterCut: Sendable, Hashable {
    /// The limit that refused the whole letter: the reason code in `ingestor-dlq-truncated`.
    public enum Limit: String, Sendable, Hashable, CaseIterable {
        /// The producer's `message.max.bytes`: librdkafka refuses a larger record before sending it.
        case producer = "producer_limit"
        /// The broker refused the record for its size (the topic's `max.message.bytes`, which is smaller than the
        /// producer's limit).
        case broker = "broker_limit"
    }

    /// A part of the letter that can be left out, as named in `ingestor-dlq-left-out`.
    public enum Part: String, Sendable, Hashable, CaseIterable {
        /// The `ingestor-dlq-command` header (up to 32 KiB); the dedup key and action headers still name the command.
        case command
        /// The original value beyond its first ``DeadLetterCut/valuePrefix`` bytes.
        case value
        /// The original message's own headers.
        case headers
        /// The original record key.
        case key
    }

    /// Which limit refused the letter last.
    public var limit: Limit
    /// What is left out, in the order of ``Part``.
    public var leftOut: [Part]
    /// The bytes of the original value kept, when ``Part/value`` is left out.
    public var valuePrefix: Int
    /// The size of the whole original value in bytes.
    public var originalSize: Int
    /// SHA-256 of the whole original value, lowercase hex.
    public var originalSHA256: String

    /// Creates a cut.
    /// - Parameter valuePrefix: the bytes of the value kept; the value is left out past it only when it is longer.
    public init(limit: Limit, leftOut: Set<Part>, valuePrefix: Int, originalSize: Int, originalSHA256: String) {
        self.limit = limit
        var parts = Part.allCases.filter(leftOut.contains)
        if valuePrefix >= originalSize { parts.removeAll { $0 == .value } }
        self.leftOut = parts
        self.valuePrefix = min(valuePrefix, originalSize)
        self.originalSize = originalSize
        self.originalSHA256 = originalSHA256
    }

    /// Whether `part` is left out.
    public func leaves(_ part: Part) -> Bool { leftOut.contains(part) }

    /// Whether the letter no longer holds the whole original message (value, headers or key cut), so replaying it
    /// would feed the pipeline something that never arrived. A letter without only its command header is whole.
    public var isIncomplete: Bool { leftOut.contains { $0 != .command } }
}

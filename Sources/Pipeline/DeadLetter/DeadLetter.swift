public import Normalizer

/// A message that cannot be delivered: the original bytes, key and headers, plus headers saying what failed.
///
/// Header names are listed in ``DeadLetter/Field``; `schemas/dead-letter.schema.json` documents their JSON
/// rendering. Replaying a letter strips the failure headers it carried and writes fresh ones.
public struct DeadLetter: Sendable, Hashable {
    /// The stage where processing failed.
    public enum Stage: String, Sendable, Hashable, CaseIterable {
        /// The payload could not become events (malformed, unknown format, over a limit).
        case normalize
        /// The correlator or its state store failed.
        case correlate
        /// The incident API refused the command or stayed unavailable past the retry limit.
        case deliver
    }

    /// The dead-letter header names.
    public enum Field: String, Sendable, CaseIterable {
        case stage = "ingestor-dlq-stage"
        case reason = "ingestor-dlq-reason"
        case message = "ingestor-dlq-message"
        case target = "ingestor-dlq-target"
        case httpStatus = "ingestor-dlq-http-status"
        case response = "ingestor-dlq-response"
        case attempts = "ingestor-dlq-attempts"
        case dedupKey = "ingestor-dlq-dedup-key"
        case action = "ingestor-dlq-action"
        case originalTopic = "ingestor-dlq-original-topic"
        case originalPartition = "ingestor-dlq-original-partition"
        case originalOffset = "ingestor-dlq-original-offset"
        case originalTimestamp = "ingestor-dlq-original-timestamp"
        case firstFailureAt = "ingestor-dlq-first-failure-at"
        case lastFailureAt = "ingestor-dlq-last-failure-at"
        case replayCount = "ingestor-dlq-replay-count"
        case parked = "ingestor-dlq-parked"
        case workerVersion = "ingestor-dlq-worker-version"
        case command = "ingestor-dlq-command"
        case truncated = "ingestor-dlq-truncated"
        case leftOut = "ingestor-dlq-left-out"
        case originalSize = "ingestor-dlq-original-size"
        case originalSHA256 = "ingestor-dlq-original-sha256"

        /// The headers only a letter cut to fit the dead-letter topic carries (``DeadLetter/cut``).
        public static let cutFields: Set<Field> = [.truncated, .leftOut, .originalSize, .originalSHA256]
    }

    /// The largest command JSON written into the `ingestor-dlq-command` header; a larger one is left out (the dedup
    /// key and action headers still name it), so a letter never outgrows what the broker accepts.
    public static let maxCommandHeaderBytes = 32 * 1024

    /// The message as it arrived.
    public var original: SourceMessage
    /// Where it failed.
    public var stage: Stage
    /// The stable reason code (a rejection code or a target failure code).
    public var reason: String
    /// What went wrong, for people; never contains credentials.
    public var message: String
    /// The target's name, for delivery failures.
    public var target: String?
    /// The last HTTP status, for delivery failures that got an answer.
    public var httpStatus: Int?
    /// The start of the last response body, redacted.
    public var responseExcerpt: String?
    /// Delivery attempts made.
    public var attempts: Int
    /// The dedup key of the event that failed, when normalization succeeded.
    public var dedupKey: String?
    /// The action that failed, when there was a command.
    public var action: IncidentCommand.Action?
    /// The normalized command that failed, when there was one.
    public var command: IncidentCommand?
    /// When the first attempt failed.
    public var firstFailureAt: Timestamp
    /// When the last attempt failed.
    public var lastFailureAt: Timestamp
    /// The worker version that wrote the letter.
    public var workerVersion: String
    /// Replays after which replay leaves the letter alone (`dead_letter.max_replays`); a letter that failed that
    /// many replays is marked parked.
    public var maxReplays: Int
    /// What the written record leaves out to fit a size limit (``DeadLetterFitting`` decides); `nil` writes the
    /// whole letter.
    public var cut: DeadLetterCut?

    /// Creates a letter.
    public init(
        original: SourceMessage,
        stage: Stage,
        reason: String,
        message: String,
        target: String? = nil,
        httpStatus: Int? = nil,
        responseExcerpt: String? = nil,
        attempts: Int = 0,
        dedupKey: String? = nil,
        action: IncidentCommand.Action? = nil,
        command: IncidentCommand? = nil,
        firstFailureAt: Timestamp,
        lastFailureAt: Timestamp,
        workerVersion: String,
        maxReplays: Int = 3
    ) {
        self.original = original
        self.stage = stage
        self.reason = reason
        self.message = message
        self.target = target
        self.httpStatus = httpStatus
        self.responseExcerpt = responseExcerpt
        self.attempts = attempts
        self.dedupKey = dedupKey
        self.action = action ?? command?.action
        self.command = command
        self.firstFailureAt = firstFailureAt
        self.lastFailureAt = lastFailureAt
        self.workerVersion = workerVersion
        self.maxReplays = maxReplays
    }

    /// How many times the original was replayed before this failure (from the header it carried, if any).
    public var replayCount: Int {
        carried(.replayCount).flatMap { Int($0) } ?? 0
    }

    /// Whether replay leaves this letter alone: it failed `maxReplays` replays.
    public var isParked: Bool { replayCount >= maxReplays }

    /// Where the message first came from, as `topic[partition]@offset`: its own position, or for a replayed letter
    /// the one it carries.
    public var originalLocation: String {
        guard let topic = carried(.originalTopic) else { return original.position.description }
        return "\(topic)[\(carried(.originalPartition) ?? "?")]@\(carried(.originalOffset) ?? "?")"
    }

    /// A failure header the original carried: set when the original is itself a replayed letter.
    private func carried(_ field: Field) -> String? {
        original.header(field.rawValue)
    }

    /// The record key: the original key (none when the ``cut`` leaves it out).
    public var key: [UInt8]? { cut?.leaves(.key) == true ? nil : original.key }

    /// The record value: the original bytes, untouched, or their first bytes when the ``cut`` truncates them.
    public var value: [UInt8] {
        guard let cut, cut.leaves(.value) else { return original.value }
        return Array(original.value.prefix(cut.valuePrefix))
    }

    /// The record headers: the original headers without earlier failure headers, then the failure headers, then
    /// (for a letter with a ``cut``) what was left out and how to recognise the original.
    public var headers: [SourceMessage.Header] {
        let prefix = "ingestor-dlq-"
        var headers = cut?.leaves(.headers) == true ? [] : original.headers.filter { !$0.name.hasPrefix(prefix) }
        func add(_ field: Field, _ text: String?) {
            if let text { headers.append(SourceMessage.Header(name: field.rawValue, text: text)) }
        }
        add(.stage, stage.rawValue)
        add(.reason, reason)
        add(.message, String(message.prefix(1024)))
        add(.target, target)
        add(.httpStatus, httpStatus.map(String.init))
        add(.response, responseExcerpt)
        add(.attempts, String(attempts))
        add(.dedupKey, dedupKey)
        add(.action, action?.rawValue)
        // A replayed letter keeps pointing at the message's first home, and its first failure.
        if let topic = carried(.originalTopic) {
            add(.originalTopic, topic)
            add(.originalPartition, carried(.originalPartition))
            add(.originalOffset, carried(.originalOffset))
            add(.originalTimestamp, carried(.originalTimestamp))
        } else {
            add(.originalTopic, original.position.partition.topic)
            add(.originalPartition, String(original.position.partition.partition))
            add(.originalOffset, String(original.position.offset))
            add(.originalTimestamp, original.timestamp?.rfc3339)
        }
        let earlier = carried(.firstFailureAt).flatMap(Timestamp.init(rfc3339:))
        add(.firstFailureAt, min(earlier ?? firstFailureAt, firstFailureAt).rfc3339)
        add(.lastFailureAt, lastFailureAt.rfc3339)
        add(.replayCount, String(replayCount))
        if isParked { add(.parked, "true") }
        add(.workerVersion, workerVersion)
        if let command, cut?.leaves(.command) != true {
            let json = JSONWriter.string(command.jsonValue)
            if json.utf8.count <= Self.maxCommandHeaderBytes { add(.command, json) }
        }
        if let cut {
            add(.truncated, cut.limit.rawValue)
            add(.leftOut, cut.leftOut.map(\.rawValue).joined(separator: ","))
            add(.originalSize, String(cut.originalSize))
            add(.originalSHA256, cut.originalSHA256)
        }
        return headers
    }
}

import Foundation
public import IncidentAPI
public import KafkaIO
public import Normalizer

/// A record read back from the dead-letter topic: where it is, and its failure headers parsed.
///
/// Its JSON rendering (``jsonValue(redactor:)``) is what `ingestor dlq export` writes and what
/// `schemas/dead-letter.schema.json` documents.
public struct DeadLetterRecord: Sendable {
    /// The record as read.
    public var message: KafkaMessage

    /// Wraps a record of the dead-letter topic.
    public init(_ message: KafkaMessage) {
        self.message = message
    }

    /// A failure header's text.
    public func field(_ field: DeadLetter.Field) -> String? {
        message.header(field.rawValue)
    }

    /// Whether the record carries the dead-letter headers (anything else in the topic was not written by ingestor).
    public var isDeadLetter: Bool { field(.stage) != nil && field(.reason) != nil }

    /// `partition:offset`, the address `dlq show` takes.
    public var address: String { "\(message.partition):\(message.offset)" }

    public var stage: String { field(.stage) ?? "unknown" }
    public var reason: String { field(.reason) ?? "unknown" }
    public var target: String? { field(.target) }
    public var dedupKey: String? { field(.dedupKey) }
    public var action: String? { field(.action) }
    public var replayCount: Int { field(.replayCount).flatMap { Int($0) } ?? 0 }
    public var isParked: Bool { field(.parked) == "true" }
    public var originalTopic: String { field(.originalTopic) ?? message.topic }

    /// Where the whole message is, as `topic[partition]@offset` (from the letter's original-* headers).
    public var originalLocation: String {
        "\(originalTopic)[\(field(.originalPartition) ?? "?")]@\(field(.originalOffset) ?? "?")"
    }

    /// The limit that made the writer cut the letter (`ingestor-dlq-truncated`: `producer_limit` or
    /// `broker_limit`), when it was cut to fit the dead-letter topic.
    public var truncation: String? { field(.truncated) }

    /// What the writer left out (`ingestor-dlq-left-out`: `command`, `value`, `headers`, `key`).
    public var leftOut: [String] {
        field(.leftOut).map { $0.split(separator: ",").map(String.init) } ?? []
    }

    /// Whether the letter lacks part of the original message (its value, headers or key were cut), so it cannot be
    /// replayed as if it were the message. A letter cut without saying what was left out counts as lacking it.
    public var isIncomplete: Bool {
        truncation != nil && (leftOut.isEmpty || leftOut.contains { $0 != DeadLetterCut.Part.command.rawValue })
    }

    /// The size in bytes of the whole original value, for a cut letter.
    public var originalSize: Int? { field(.originalSize).flatMap { Int($0) } }

    /// SHA-256 of the whole original value (lowercase hex), for a cut letter.
    public var originalSHA256: String? { field(.originalSHA256) }

    /// One line on a letter that lacks part of its message: what it keeps and where the whole message is.
    public var incompleteSummary: String {
        let size = originalSize.map(String.init) ?? "?"
        return "truncated (\(truncation ?? "?")): value is the first \(message.value.count) of \(size) bytes; "
            + "the whole message is at \(originalLocation), sha256 \(originalSHA256 ?? "?")"
    }

    /// The record key as text, when it is UTF-8.
    public var keyText: String? {
        message.key.flatMap { String(validating: $0, as: UTF8.self) }
    }

    /// When the letter was written: the record timestamp, else its last failure time.
    public var writtenAt: Timestamp? {
        message.timestampMilliseconds.map(Timestamp.init(millisecondsSinceEpoch:))
            ?? field(.lastFailureAt).flatMap(Timestamp.init(rfc3339:))
    }

    /// When the original message was written to its topic.
    public var originalTimestamp: Timestamp? { field(.originalTimestamp).flatMap(Timestamp.init(rfc3339:)) }

    /// The failed command, parsed, when the letter carries one.
    public var command: JSONValue? {
        field(.command).flatMap { try? JSONParser(maxDepth: 64).parse(Array($0.utf8)) }
    }

    /// The message to feed through the pipeline again: the letter's bytes, key and headers (the replay count one
    /// higher), at its place in the dead-letter topic (so replay progress is committed there), decoded with the
    /// settings of the topic it first came from, with its original record time.
    public var replayMessage: SourceMessage {
        var headers = message.headers.filter { $0.key != DeadLetter.Field.replayCount.rawValue }
            .map { SourceMessage.Header(name: $0.key, value: $0.value) }
        headers.append(SourceMessage.Header(name: DeadLetter.Field.replayCount.rawValue, text: String(replayCount + 1)))
        return SourceMessage(
            position: MessagePosition(partition: PartitionID(message.topicPartition), offset: message.offset),
            key: message.key,
            value: message.value,
            headers: headers,
            timestamp: originalTimestamp ?? message.timestampMilliseconds.map(Timestamp.init(millisecondsSinceEpoch:)),
            originTopic: originalTopic
        )
    }

    /// The headers the original message had (without the failure headers).
    public var originalHeaders: [KafkaHeader] {
        message.headers.filter { !$0.key.hasPrefix("ingestor-dlq-") }
    }

    /// The documented JSON rendering: where the letter is, its failure headers, the original headers and value.
    /// Text that may hold credentials (the original value and headers, the response excerpt) goes through
    /// `redactor` when one is given.
    public func jsonValue(redactor: Redactor? = nil) -> JSONValue {
        func text(_ value: String) -> JSONValue {
            .string(redactor.map { $0.redact(value, limit: Int.max) } ?? value)
        }
        var object = JSONObject()
        object["topic"] = .string(message.topic)
        object["partition"] = .number(String(message.partition))
        object["offset"] = .number(String(message.offset))
        object["timestamp"] = writtenAt.map { .string($0.rfc3339) } ?? .null
        object["key"] =
            message.key.map { key in keyText.map(text) ?? .string(Data(key).base64EncodedString()) } ?? .null
        var failure = JSONObject()
        for field in DeadLetter.Field.allCases where field != .command {
            guard let value = self.field(field) else { continue }
            failure[field.rawValue] = field == .response || field == .message ? text(value) : .string(value)
        }
        object["headers"] = .object(failure)
        object["command"] = command ?? .null
        object["originalHeaders"] = .array(
            originalHeaders.map { header in
                var entry = JSONObject()
                entry["name"] = .string(header.key)
                entry["value"] = header.value.map { String(decoding: $0, as: UTF8.self) }.map(text) ?? .null
                return .object(entry)
            }
        )
        if let value = String(validating: message.value, as: UTF8.self) {
            object["valueEncoding"] = .string("utf8")
            object["value"] = text(value)
        } else {
            object["valueEncoding"] = .string("base64")
            object["value"] = .string(Data(message.value).base64EncodedString())
        }
        return .object(object)
    }
}

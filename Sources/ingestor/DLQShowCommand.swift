import ArgumentParser
import Foundation
import IncidentAPI
import IngestorKit
import KafkaIO
import Normalizer
import Pipeline

struct DLQShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Prints dead letters in full: every header, the failed command, the original payload pretty-printed.",
        discussion: """
            ADDRESS is PARTITION:OFFSET as `dlq list` prints it (a bare OFFSET means partition 0); --key shows \
            every letter of a dedup key or record key instead. Credentials in the payload, headers and response \
            (tokens, passwords, secrets, authorization values) are replaced by [REDACTED].
            """
    )

    @OptionGroup var location: DLQLocation
    @Option(help: "Show every letter with this dedup key or record key.") var key: String?
    @Argument(help: "The letter's PARTITION:OFFSET.") var address: String?

    func validate() throws {
        if (address == nil) == (key == nil) { throw ValidationError("give one ADDRESS or --key") }
        if let address, Self.parse(address) == nil {
            throw ValidationError("\(address): expected PARTITION:OFFSET, e.g. 0:42")
        }
    }

    static func parse(_ address: String) -> (partition: Int32, offset: Int64)? {
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1, let offset = Int64(parts[0]), offset >= 0 { return (0, offset) }
        guard parts.count == 2, let partition = Int32(parts[0]), let offset = Int64(parts[1]), partition >= 0,
            offset >= 0
        else { return nil }
        return (partition, offset)
    }

    func run() async throws {
        let redactor = Redactor()
        if let address, let (partition, offset) = Self.parse(address) {
            let (servers, topic) = try location.resolve()
            let record: KafkaMessage?
            do {
                record = try await KafkaTopicReader.record(
                    at: offset,
                    of: KafkaTopicPartition(topic: topic, partition: partition),
                    bootstrapServers: servers,
                    logger: DLQCommand.toolLogger
                )
            } catch let error as KafkaError {
                Console.err("cannot read \(topic)[\(partition)]@\(offset): \(error)")
                throw ExitCode.failure
            }
            guard let record else {
                Console.err("\(topic) has no record at \(partition):\(offset)")
                throw ExitCode.failure
            }
            Console.out(Self.render(DeadLetterRecord(record), redactor: redactor))
            return
        }
        var shown = 0
        _ = try await location.readLetters { record in
            guard record.dedupKey == key || record.keyText == key else { return true }
            if shown > 0 { Console.out("") }
            Console.out(Self.render(record, redactor: redactor))
            shown += 1
            return true
        }
        if shown == 0 {
            Console.err("no dead letter has the key \(key ?? "")")
            throw ExitCode.failure
        }
    }

    static func render(_ record: DeadLetterRecord, redactor: Redactor) -> String {
        func redact(_ text: String) -> String { redactor.redact(text, limit: Int.max) }
        var lines = [
            "letter \(record.address) of \(record.message.topic), written \(record.writtenAt?.rfc3339 ?? "-")"
        ]
        guard record.isDeadLetter else {
            lines.append("  (no ingestor-dlq-* headers: not written by ingestor)")
            lines.append(redact(String(decoding: record.message.value, as: UTF8.self)))
            return lines.joined(separator: "\n")
        }
        func row(_ label: String, _ value: String?) {
            if let value { lines.append("  " + label.rightPadded(to: 13) + value) }
        }
        row("stage", record.stage)
        row("reason", record.reason)
        row("message", record.field(.message).map(redact))
        row("target", record.target)
        row("http status", record.field(.httpStatus))
        row("attempts", record.field(.attempts))
        row("dedup key", record.dedupKey)
        row("action", record.action)
        row(
            "original",
            record.originalLocation + (record.field(.originalTimestamp).map { ", written \($0)" } ?? "")
        )
        row("failed", "first \(record.field(.firstFailureAt) ?? "-"), last \(record.field(.lastFailureAt) ?? "-")")
        row(
            "replays",
            "\(record.replayCount)" + (record.isParked ? " (parked: replay leaves it alone; --include-parked)" : "")
        )
        row("worker", record.field(.workerVersion))
        if let truncation = record.truncation {
            row(
                "cut to fit",
                "\(truncation): left out \(record.leftOut.joined(separator: ", "))"
                    + (record.isIncomplete ? " (replay skips it: the message is not whole)" : "")
            )
            row(
                "whole value",
                "\(record.originalSize.map(String.init) ?? "?") bytes, sha256 \(record.originalSHA256 ?? "?")"
            )
        }
        row("response", record.field(.response).map(redact))
        if let command = record.command {
            lines.append("command:")
            lines.append(Self.indent(redact(JSONWriter.pretty(command))))
        }
        let headers = record.originalHeaders
        if !headers.isEmpty {
            lines.append("original headers:")
            for header in headers {
                let value = header.value.map { String(decoding: $0, as: UTF8.self) } ?? "(null)"
                lines.append("  \(header.key): \(redact(value))")
            }
        }
        if let key = record.keyText { lines.append("original key: \(key)") }
        let value = record.message.value
        if record.isIncomplete {
            lines.append(
                "original payload (truncated: the first \(value.count) of \(record.originalSize.map(String.init) ?? "?") bytes; the whole message is at \(record.originalLocation)):"
            )
            lines.append(Self.indent(redact(String(decoding: value, as: UTF8.self))))
        } else if let json = try? JSONParser(maxDepth: 64).parse(value) {
            lines.append("original payload (JSON, \(value.count) bytes):")
            lines.append(Self.indent(redact(JSONWriter.pretty(json))))
        } else if let text = String(validating: value, as: UTF8.self) {
            lines.append("original payload (text, \(value.count) bytes):")
            lines.append(Self.indent(redact(text)))
        } else {
            lines.append("original payload (\(value.count) bytes, not UTF-8; base64):")
            lines.append(Self.indent(Data(value).base64EncodedString(options: .lineLength76Characters)))
        }
        return lines.joined(separator: "\n")
    }

    static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }
}

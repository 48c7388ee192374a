import ArgumentParser
import Foundation
import IncidentAPI
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Pipeline

struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Reads the dead-letter topic: counts, one line per letter, one letter in full, JSON lines.",
        discussion: """
            Every letter is the original message (key, value, headers) plus ingestor-dlq-* headers saying \
            where it failed and why; the README's "Dead letters" section lists them, and \
            schemas/dead-letter.schema.json documents the JSON that `dlq export` writes.

            Start with stats, look at a few with list and show, preview with `replay --dry-run`, then replay:
              ingestor dlq stats  --config ingestor.yaml
              ingestor dlq list   --config ingestor.yaml --reason target_unavailable --limit 20
              ingestor dlq show   --config ingestor.yaml 0:42
              ingestor dlq export --config ingestor.yaml --since 24h > letters.jsonl

            The topic and brokers come from --config (dead_letter.topic, kafka.bootstrap_servers), or from \
            --bootstrap-servers and --topic without a configuration file.
            """,
        subcommands: [DLQStatsCommand.self, DLQListCommand.self, DLQShowCommand.self, DLQExportCommand.self]
    )
}

/// Where the dead-letter topic is.
struct DLQLocation: ParsableArguments {
    @Option(name: .shortAndLong, help: "The worker's configuration file: its brokers and dead_letter.topic.")
    var config: String?
    @Option(help: "Brokers, comma-separated (instead of --config).") var bootstrapServers: String?
    @Option(help: "The dead-letter topic (instead of, or overriding, the one in --config).") var topic: String?

    func validate() throws {
        if config == nil, bootstrapServers == nil || topic == nil {
            throw ValidationError("give --config, or --bootstrap-servers and --topic")
        }
    }

    /// The brokers and topic.
    func resolve() throws -> (servers: [String], topic: String) {
        if let config {
            let configuration = try Console.loadConfiguration(config)
            return (
                bootstrapServers.map(Self.split) ?? configuration.kafka.bootstrapServers,
                topic ?? configuration.deadLetterTopic
            )
        }
        return (Self.split(bootstrapServers ?? ""), topic ?? "")
    }

    static func split(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// The filters every dlq and replay command takes.
struct DLQFilterOptions: ParsableArguments {
    @Option(help: "Letters written at or after: an RFC 3339 time, a date, or an age like 90m, 6h, 7d.")
    var since: String?
    @Option(help: "Letters written before: same forms as --since.") var until: String?
    @Option(help: "Only this reason code, e.g. target_unavailable (repeatable).") var reason: [String] = []
    @Option(help: "Only this stage: normalize, correlate or deliver (repeatable).") var stage: [String] = []
    @Option(help: "Only letters for this target (repeatable).") var target: [String] = []
    @Option(help: "Only letters with this dedup key or record key.") var key: String?

    func validate() throws {
        let now = Timestamp(millisecondsSinceEpoch: 0)
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, DeadLetterFilter.parseTime(value, now: now) == nil {
                throw ValidationError("\(name) \(value): expected an RFC 3339 time, a date (2026-11-30) or an age (6h)")
            }
        }
        for value in stage where DeadLetter.Stage(rawValue: value) == nil {
            throw ValidationError("--stage \(value): expected normalize, correlate or deliver")
        }
    }

    var filter: DeadLetterFilter {
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        var filter = DeadLetterFilter()
        filter.since = since.flatMap { DeadLetterFilter.parseTime($0, now: now) }
        filter.until = until.flatMap { DeadLetterFilter.parseTime($0, now: now) }
        filter.reasons = Set(reason)
        filter.stages = Set(stage)
        filter.targets = Set(target)
        filter.key = key
        return filter
    }
}

/// A quiet logger for the inspection commands: only librdkafka's errors.
private let toolLogger: Logger = {
    var logger = Logger(label: "ingestor.dlq")
    logger.logLevel = .error
    return logger
}()

/// Streams the letters of the topic through `body`, turning Kafka errors into a clear message.
private func readLetters(
    _ location: DLQLocation,
    _ body: (DeadLetterRecord) async throws -> Bool
) async throws -> String {
    let (servers, topic) = try location.resolve()
    do {
        try await KafkaTopicReader.read(topic: topic, bootstrapServers: servers, logger: toolLogger) {
            try await body(DeadLetterRecord($0))
        }
    } catch let error as KafkaError {
        Console.err("cannot read \(topic) from \(servers.joined(separator: ",")): \(error)")
        throw ExitCode.failure
    }
    return topic
}

struct DLQStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Counts dead letters by reason, stage, target and hour.",
        discussion: """
            Reads the topic from its start to its current end. Parked letters (replayed dead_letter.max_replays \
            times and failed each time) are counted apart: replay leaves them alone.
            """
    )

    @OptionGroup var location: DLQLocation
    @OptionGroup var filters: DLQFilterOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let filter = filters.filter
        var stats = DeadLetterStats(topic: "")
        stats.topic = try await readLetters(location) { record in
            if filter.matches(record) || !record.isDeadLetter { stats.add(record) }
            return true
        }
        Console.out(json ? JSONWriter.pretty(stats.jsonValue) : stats.table)
    }
}

struct DLQListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists dead letters, one line each: address, time, stage, reason, target, action, replays, key.",
        discussion: """
            The address (PARTITION:OFFSET) is what `dlq show` takes. The message column is cut to fit; show \
            prints it whole.
            """
    )

    @OptionGroup var location: DLQLocation
    @OptionGroup var filters: DLQFilterOptions
    @Option(help: "Print at most this many letters.") var limit: Int?

    func run() async throws {
        let filter = filters.filter
        var printed = 0
        Console.out(
            "ADDRESS   WRITTEN (UTC)         STAGE      REASON                    TARGET     ACTION   REPLAYS  KEY / MESSAGE"
        )
        _ = try await readLetters(location) { record in
            guard record.isDeadLetter, filter.matches(record) else { return true }
            if let limit, printed >= limit { return false }
            printed += 1
            let written = record.writtenAt.map { String($0.rfc3339.prefix(19)) } ?? "-"
            let replays = String(record.replayCount) + (record.isParked ? " parked" : "")
            let key = record.dedupKey ?? record.keyText ?? "-"
            let message = (record.field(.message) ?? "").prefix(60)
            Console.out(
                [
                    record.address.rightPadded(to: 9), written.rightPadded(to: 21), record.stage.rightPadded(to: 10),
                    record.reason.rightPadded(to: 25), (record.target ?? "-").rightPadded(to: 10),
                    (record.action ?? "-").rightPadded(to: 8), replays.rightPadded(to: 8), "\(key)  \(message)",
                ].joined(separator: " ")
            )
            return true
        }
        if printed == 0 { Console.err("no dead letters match") }
    }
}

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
                    logger: toolLogger
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
        _ = try await readLetters(location) { record in
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
            "\(record.originalTopic)[\(record.field(.originalPartition) ?? "?")]@\(record.field(.originalOffset) ?? "?")"
                + (record.field(.originalTimestamp).map { ", written \($0)" } ?? "")
        )
        row("failed", "first \(record.field(.firstFailureAt) ?? "-"), last \(record.field(.lastFailureAt) ?? "-")")
        row(
            "replays",
            "\(record.replayCount)" + (record.isParked ? " (parked: replay leaves it alone; --include-parked)" : "")
        )
        row("worker", record.field(.workerVersion))
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
        if let json = try? JSONParser(maxDepth: 64).parse(value) {
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

struct DLQExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Writes dead letters as JSON lines (schemas/dead-letter.schema.json), for other tools.",
        discussion: """
            One letter per line: address, failure headers, the failed command, original headers and value \
            (text, or base64 when it is not UTF-8). Values are exported as they are; add --redact to mask \
            credentials.
              ingestor dlq export --config ingestor.yaml --reason invalid_json | jq .value
            """
    )

    @OptionGroup var location: DLQLocation
    @OptionGroup var filters: DLQFilterOptions
    @Option(help: "Export at most this many letters.") var limit: Int?
    @Flag(help: "Mask credentials in values, headers and responses.") var redact = false

    func run() async throws {
        let filter = filters.filter
        let redactor = redact ? Redactor() : nil
        var written = 0
        _ = try await readLetters(location) { record in
            guard record.isDeadLetter, filter.matches(record) else { return true }
            if let limit, written >= limit { return false }
            written += 1
            Console.out(JSONWriter.string(record.jsonValue(redactor: redactor)))
            return true
        }
        Console.err("exported \(written) dead letters")
    }
}

import ArgumentParser
import Logging

struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Reads the dead-letter topic: counts, one line per letter, one letter in full, JSON lines.",
        discussion: """
            Every letter is the original message (key, value, headers) plus ingestor-dlq-* headers saying \
            where it failed and why; the README's "Dead letters" section lists them, and \
            schemas/dead-letter.schema.json documents the JSON that `dlq export` writes. A letter too large for \
            the topic is cut to fit (ingestor-dlq-truncated): list marks it, show says what it lacks and where \
            the whole message is, stats counts such letters, and replay leaves them alone.

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

extension DLQCommand {
    /// A quiet logger for the inspection commands: only librdkafka's errors.
    static let toolLogger: Logger = {
        var logger = Logger(label: "ingestor.dlq")
        logger.logLevel = .error
        return logger
    }()
}

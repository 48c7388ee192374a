import ArgumentParser
import IngestorKit
import KafkaIO
import Normalizer
import Pipeline

struct DLQListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists dead letters, one line each: address, time, stage, reason, target, action, replays, key.",
        discussion: """
            The address (PARTITION:OFFSET) is what `dlq show` takes. The message column is cut to fit; show \
            prints it whole. A letter cut to fit the dead-letter topic starts its message with [truncated: KEPT of \
            SIZE bytes]: its value is only the start of the message, and `dlq show` says where the whole one is.
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
        _ = try await location.readLetters { record in
            guard record.isDeadLetter, filter.matches(record) else { return true }
            if let limit, printed >= limit { return false }
            printed += 1
            let written = record.writtenAt.map { String($0.rfc3339.prefix(19)) } ?? "-"
            let replays = String(record.replayCount) + (record.isParked ? " parked" : "")
            let key = record.dedupKey ?? record.keyText ?? "-"
            let truncated =
                record.isIncomplete
                ? "[truncated: \(record.message.value.count) of \(record.originalSize.map(String.init) ?? "?") bytes] "
                : ""
            let message = truncated + (record.field(.message) ?? "").prefix(60)
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

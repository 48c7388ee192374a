import ArgumentParser
import IngestorKit
import Normalizer
import Pipeline

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
        stats.topic = try await location.readLetters { record in
            if filter.matches(record) || !record.isDeadLetter { stats.add(record) }
            return true
        }
        Console.out(json ? JSONWriter.pretty(stats.jsonValue) : stats.table)
    }
}

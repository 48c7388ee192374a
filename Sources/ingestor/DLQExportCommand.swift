import ArgumentParser
import IncidentAPI
import Normalizer
import Pipeline

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
        _ = try await location.readLetters { record in
            guard record.isDeadLetter, filter.matches(record) else { return true }
            if let limit, written >= limit { return false }
            written += 1
            Console.out(JSONWriter.string(record.jsonValue(redactor: redactor)))
            return true
        }
        Console.err("exported \(written) dead letters")
    }
}

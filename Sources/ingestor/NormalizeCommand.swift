import ArgumentParser
import Foundation
import IngestorKit
import Normalizer

struct NormalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "Shows the events a payload becomes: one JSON event per line, or the rejection and exit 2.",
        discussion: """
            Reads each FILE (standard input when none) as one message, exactly as the worker would read a Kafka \\
            record, and prints its normalized events as JSON lines on standard output. A rejected message prints \\
            its reason code and message on standard error; the exit status is 2 if any message was rejected.

            With --config and --topic the source's route applies: its format, generic field paths, email \\
            patterns and default severity. Otherwise --format decides (default auto: detect from the shape).

            Examples:
              ingestor normalize alert.json
              ingestor normalize --format generic --config ingestor.yaml --topic custom.raw event.json
              cat mail.eml | ingestor normalize --format email --pretty
            """
    )

    @Option(help: "A decoder name, or auto to detect from the payload's shape.") var format: String?
    @Option(help: "A configuration file whose source route to use (with --topic).") var config: String?
    @Option(help: "The source topic in --config whose route to use.") var topic: String?
    @Option(name: .customLong("header"), help: "A record header NAME=VALUE, e.g. ingestor-format=email (repeatable).")
    var headers: [String] = []
    @Flag(help: "Indent the JSON for reading.") var pretty = false
    @Argument(help: "Files to read; standard input when none.") var files: [String] = []

    func validate() throws {
        if (config == nil) != (topic == nil) { throw ValidationError("--config and --topic go together") }
        if let format, !Normalizer().knownFormats.contains(SourceFormat(format)) {
            throw ValidationError(
                "--format \(format) is not a decoder; known: \(Normalizer().knownFormats.map(\.name).joined(separator: ", "))"
            )
        }
        for header in headers where !header.contains("=") {
            throw ValidationError("--header \(header): expected NAME=VALUE")
        }
    }

    func run() throws {
        var route = SourceRoute(format: format.map(SourceFormat.init) ?? .auto)
        var limits = Normalizer.Limits()
        if let config, let topic {
            do {
                let configuration = try IngestorConfiguration.load(
                    path: config,
                    environment: ProcessInfo.processInfo.environment
                )
                guard let source = configuration.sources.first(where: { $0.topic == topic }) else {
                    throw ValidationError("\(config) has no source with topic \(topic)")
                }
                route = source.route
                if let format { route.format = SourceFormat(format) }
                limits = configuration.limits
            } catch let error as ConfigurationError {
                Console.err(error.description)
                throw ExitCode(ExitStatus.badConfiguration)
            }
        }
        let normalizer = Normalizer(limits: limits)
        let recordHeaders = headers.map { pair -> NormalizerInput.Header in
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return NormalizerInput.Header(name: parts[0], value: Array((parts.count > 1 ? parts[1] : "").utf8))
        }
        var rejected = false
        for (name, bytes) in try inputs() {
            let input = NormalizerInput(payload: bytes, headers: recordHeaders, origin: topic ?? name, recordID: name)
            do {
                for event in try normalizer.normalize(input, route: route) {
                    Console.out(
                        pretty
                            ? JSONWriter.pretty(event.jsonValue, sortedKeys: true)
                            : JSONWriter.string(event.jsonValue, sortedKeys: true)
                    )
                }
            } catch {
                rejected = true
                Console.err("\(name): \(error.code.rawValue): \(error.message)")
            }
        }
        if rejected { throw ExitCode(ExitStatus.badConfiguration) }
    }

    private func inputs() throws -> [(String, [UInt8])] {
        if files.isEmpty { return [("stdin", Array(FileHandle.standardInput.readDataToEndOfFile()))] }
        return try files.map { file in
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            return (file, Array(data))
        }
    }
}

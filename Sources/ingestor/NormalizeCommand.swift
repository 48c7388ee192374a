import ArgumentParser
import Foundation
import IngestorKit
import Normalizer
import Pipeline

struct NormalizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "Shows the events a payload becomes: one JSON event per line, or the rejection and exit 2.",
        discussion: """
            Reads each FILE (standard input when none) as one message, exactly as the worker would read a Kafka \\
            record, and prints its normalized events as JSON lines on standard output. A rejected message prints \\
            its reason code and message on standard error; the exit status is 2 if any message was rejected.

            With --config and --topic the source's route applies: its format, generic field paths, email \\
            patterns and default severity. Otherwise --format decides (default auto: detect from the shape).

            With --commands the events go on through a correlator with no incident open, as if the files \
            arrived in this order to an empty target: it prints the incident commands the worker would send \
            (create, update, resolve, comment) as JSON lines, and each suppressed or ignored event on standard \
            error. A dry run of deduplication, with nothing sent.

            Examples:
              ingestor normalize alert.json
              ingestor normalize --format generic --config ingestor.yaml --topic custom.raw event.json
              cat mail.eml | ingestor normalize --format email --pretty
              ingestor normalize --commands firing.json repeat.json resolved.json
              ingestor normalize --explain payload.json

            With --explain each message's detection is written out instead of its events: the format asked for, \
            what the bytes look like, every decoder whose rule matches, the one chosen, and the events (status, \
            severity, dedup key, title) or the rule that refused the message.
            """
    )

    @Option(help: "A decoder name, or auto to detect from the payload's shape.") var format: String?
    @Option(help: "A configuration file whose source route to use (with --topic).") var config: String?
    @Option(help: "The source topic in --config whose route to use.") var topic: String?
    @Option(name: .customLong("header"), help: "A record header NAME=VALUE, e.g. ingestor-format=email (repeatable).")
    var headers: [String] = []
    @Flag(help: "Indent the JSON for reading.") var pretty = false
    @Flag(help: "Print the incident commands a correlator with nothing open would send, not the events.")
    var commands = false
    @Flag(
        help:
            "Say which format was detected and why (the rule each matching decoder applies), or which rule refused the message."
    )
    var explain = false
    @Argument(help: "Files to read; standard input when none.") var files: [String] = []

    func validate() throws {
        if (config == nil) != (topic == nil) { throw ValidationError("--config and --topic go together") }
        if let format, !Normalizer().knownFormats.contains(SourceFormat(format)) {
            throw ValidationError(
                "--format \(format) is not a decoder; known: \(Normalizer().knownFormats.map(\.name).joined(separator: ", "))"
            )
        }
        if explain && commands { throw ValidationError("--explain and --commands go separately") }
        for header in headers where !header.contains("=") {
            throw ValidationError("--header \(header): expected NAME=VALUE")
        }
    }

    func run() async throws {
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
        let correlator = Correlator(store: InMemoryIncidentStateStore(), target: "dry-run")
        var created = 0
        var rejected = false
        for (name, bytes) in try inputs() {
            let input = NormalizerInput(payload: bytes, headers: recordHeaders, origin: topic ?? name, recordID: name)
            if explain {
                rejected = !printExplanation(normalizer.explain(input, route: route), of: name) || rejected
                continue
            }
            let events: [NormalizedEvent]
            do {
                events = try normalizer.normalize(input, route: route)
            } catch {
                rejected = true
                Console.err("\(name): \(error.code.rawValue): \(error.message)")
                continue
            }
            for event in events {
                guard commands else {
                    print(event.jsonValue)
                    continue
                }
                let decision = try await correlator.decide(event)
                switch decision {
                case .send(let command):
                    print(command.jsonValue)
                    if command.action == .create {
                        created += 1
                        try await correlator.applied(command, externalID: "dry-run-\(created)")
                    } else {
                        try await correlator.applied(command, externalID: command.externalID)
                    }
                case .suppress, .ignore, .stale, .fold:
                    Console.err("\(name): \(decision.name) \(event.dedupKey): \(decision.reason)")
                }
            }
        }
        if rejected { throw ExitCode(ExitStatus.badConfiguration) }
    }

    /// Writes one message's explanation; returns whether it gave events rather than a rejection.
    private func printExplanation(_ explanation: Normalizer.Explanation, of name: String) -> Bool {
        Console.out("\(name): detected \(explanation.format?.name ?? "no format")")
        for step in explanation.steps { Console.out("  " + step) }
        switch explanation.outcome {
        case .success(let events):
            for event in events {
                Console.out(
                    "  → \(event.status.rawValue) \(event.severity.rawValue) \(event.dedupKey): \(event.title)"
                )
            }
            return true
        case .failure:
            return false
        }
    }

    private func print(_ value: JSONValue) {
        Console.out(pretty ? JSONWriter.pretty(value, sortedKeys: true) : JSONWriter.string(value, sortedKeys: true))
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

import ArgumentParser
import Foundation
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Pipeline

struct IncidentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract: "Reads the incident state: what is open, what one key became and why; forgets or resolves a key.",
        discussion: """
            The state is read where it lives: the changelog topic when delivery-stage workers keep it there (every \
            worker's partitions, read to their current end, writes of fenced owners left out), otherwise the state \
            file of the in-process worker (read without writing; a running worker may hold it). --from chooses; \
            the default takes the changelog when it has records. The first line on standard error says which.

              ingestor incidents list    --config ingestor.yaml                  # open incidents, newest change first
              ingestor incidents list    --config ingestor.yaml --status all --source am --output json
              ingestor incidents show    --config ingestor.yaml 'am:…'           # ids, status, members, pending create
              ingestor incidents explain --config ingestor.yaml 'am:…'           # every decision and failed call
              ingestor incidents resolve --config ingestor.yaml 'am:…' --reason "closed by hand in INC-42"
              ingestor incidents forget  --config ingestor.yaml 'am:…' --reason "ticket deleted on the target"

            forget and resolve go through the worker that owns the key, like an alert would (see their --help).
            """,
        subcommands: [
            IncidentsListCommand.self, IncidentsShowCommand.self, IncidentsExplainCommand.self,
            IncidentsForgetCommand.self, IncidentsResolveCommand.self,
        ]
    )

    /// A quiet logger for the reading commands: only librdkafka's errors.
    static let toolLogger: Logger = {
        var logger = Logger(label: "ingestor.incidents")
        logger.logLevel = .error
        return logger
    }()
}

/// Where the incident state is read from.
struct IncidentsLocation: ParsableArguments {
    enum From: String, ExpressibleByArgument, CaseIterable {
        case auto, file, changelog
    }

    @Option(name: .shortAndLong, help: "The worker's configuration file: state.path, brokers, the changelog topic.")
    var config: String?
    @Option(
        help: """
            Where to read: changelog (the delivery stage's topic: every worker), file (a state file), or auto (the \
            changelog when it has records, else the file).
            """
    )
    var from: From = .auto
    @Option(help: "The state file (instead of state.path from --config).") var state: String?
    @Option(help: "Brokers, comma-separated (instead of, or overriding, --config's).") var bootstrapServers: String?
    @Option(help: "The changelog topic (instead of, or overriding, --config's).") var changelogTopic: String?
    @Option(help: "The audit topic the delivery stage publishes decisions to (default from --config).")
    var auditTopic: String?

    func validate() throws {
        if config == nil, state == nil, bootstrapServers == nil || changelogTopic == nil {
            throw ValidationError("give --config, or --state FILE, or --bootstrap-servers and --changelog-topic")
        }
        if from == .file, config == nil, state == nil { throw ValidationError("--from file needs --state or --config") }
        if from == .changelog, config == nil, bootstrapServers == nil || changelogTopic == nil {
            throw ValidationError("--from changelog needs --config, or --bootstrap-servers and --changelog-topic")
        }
    }

    struct Resolved {
        var configuration: IngestorConfiguration?
        var statePath: String?
        var servers: [String]
        var changelogTopic: String?
        var auditTopic: String?
        var deadLetterTopic: String?
    }

    func resolve() throws -> Resolved {
        let configuration = try config.map { try Console.loadConfiguration($0, secretsNeeded: false) }
        let servers = bootstrapServers.map(DLQLocation.split) ?? configuration?.kafka.bootstrapServers ?? []
        let changelog = changelogTopic ?? configuration?.kafka.resolvedChangelogTopic
        let audit = auditTopic ?? configuration?.kafka.resolvedAuditTopic ?? changelog.map { Self.auditTopic(of: $0) }
        return Resolved(
            configuration: configuration,
            statePath: state ?? configuration.flatMap { $0.state.isInMemory ? nil : $0.state.path },
            servers: servers,
            changelogTopic: state != nil && from != .changelog ? nil : changelog,
            auditTopic: audit,
            deadLetterTopic: configuration?.deadLetterTopic
        )
    }

    /// The audit topic next to a changelog named `<group>.changelog`: `<group>.audit`.
    static func auditTopic(of changelog: String) -> String {
        changelog.hasSuffix(".changelog")
            ? String(changelog.dropLast(".changelog".count)) + ".audit" : changelog + ".audit"
    }

    /// Reads the state, saying on standard error where from and how fresh it is; a clear message and exit 1 when it
    /// cannot be read.
    func open(quiet: Bool = false) async throws -> (IncidentStateView, Resolved) {
        let resolved = try resolve()
        do {
            let view = try await read(resolved)
            if !quiet { Console.err(Self.describe(view)) }
            return (view, resolved)
        } catch let error as IncidentStateView.Unavailable {
            Console.err(error.description)
            throw ExitCode.failure
        }
    }

    private func read(_ resolved: Resolved) async throws -> IncidentStateView {
        let logger = IncidentsCommand.toolLogger
        switch from {
        case .file:
            guard let path = resolved.statePath else {
                throw IncidentStateView.Unavailable(description: "state.path is :memory:, there is no file to read")
            }
            return try IncidentStateView.file(path: path)
        case .changelog:
            return try await IncidentStateView.changelog(
                topic: resolved.changelogTopic ?? "",
                auditTopic: resolved.auditTopic,
                bootstrapServers: resolved.servers,
                logger: logger
            )
        case .auto:
            if let topic = resolved.changelogTopic, !resolved.servers.isEmpty {
                do {
                    let ends = try await KafkaTopicReader.endOffsets(
                        topic: topic,
                        bootstrapServers: resolved.servers,
                        logger: logger
                    )
                    if ends.values.contains(where: { $0 > 0 }) {
                        return try await IncidentStateView.changelog(
                            topic: topic,
                            auditTopic: resolved.auditTopic,
                            bootstrapServers: resolved.servers,
                            logger: logger
                        )
                    }
                } catch {
                    guard resolved.statePath != nil else {
                        throw IncidentStateView.Unavailable(
                            description:
                                "cannot reach \(resolved.servers.joined(separator: ",")) to read \(topic): \(error)"
                        )
                    }
                    Console.err(
                        "cannot reach \(resolved.servers.joined(separator: ",")) to look for \(topic) (\(error)); reading the state file"
                    )
                }
            }
            guard let path = resolved.statePath else {
                throw IncidentStateView.Unavailable(
                    description: "the changelog topic has no records and there is no state file to read (state.path)"
                )
            }
            return try IncidentStateView.file(path: path)
        }
    }

    static func describe(_ view: IncidentStateView) -> String {
        switch view.origin {
        case .file(let path, let modified):
            var line = "state: the file \(path)"
            if let modified {
                let age = view.readAt.timeIntervalSince(modified)
                line += ", last written \(Self.age(seconds: age)) ago"
                if age > 600 {
                    line += " (a running worker writes it with every change: is it running, and on this file?)"
                }
            }
            return line
        case .changelog(let topic, let claims, let records, let fenced):
            var line = "state: the changelog topic \(topic), \(records) records in \(claims.count) partitions"
            if fenced > 0 { line += ", \(fenced) written by fenced owners left out" }
            let owners = Set(claims.values.map { $0.split(separator: " ").first.map(String.init) ?? $0 })
            return line + "; last claimed by \(owners.count) worker\(owners.count == 1 ? "" : "s")"
        }
    }

    static func age(seconds: Double) -> String {
        let value = max(0, Int(seconds))
        if value < 120 { return "\(value)s" }
        if value < 7200 { return "\(value / 60)m" }
        if value < 172_800 { return "\(value / 3600)h" }
        return "\(value / 86_400)d"
    }
}

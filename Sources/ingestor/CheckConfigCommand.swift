import ArgumentParser
import Foundation
import IncidentAPI
import IngestorKit
import Pipeline

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validates a configuration file the way `ingestor run` would, listing every problem.",
        discussion: """
            Reads FILE, applies INGESTOR_* environment overrides (INGESTOR_KAFKA__GROUP_ID=x sets \
            kafka.group_id), resolves secrets ({env: NAME} or {file: PATH}), and checks every key. Exits 0 \
            when the configuration is usable, 2 otherwise, printing one line per problem with its key path (and \
            the INGESTOR_* variable, for a value that came from the environment).

            It also checks what only this machine can tell, as `ingestor run` does: that state.path is in an \
            existing directory the worker can write. --no-host-checks leaves that out, for a configuration meant \
            for another machine or a container.
            """
    )

    @Argument(help: "The YAML configuration file.")
    var file: String

    @Flag(help: "Skip the checks that depend on this machine (state.path's directory).")
    var noHostChecks = false

    func run() throws {
        do {
            let configuration = try IngestorConfiguration.load(
                path: file,
                environment: ProcessInfo.processInfo.environment,
                checkHost: !noHostChecks
            )
            Console.out("ok: \(file)")
            Console.out(
                "  kafka: \(configuration.kafka.bootstrapServers.joined(separator: ",")) group \(configuration.kafka.groupID)"
            )
            for source in configuration.sources { Console.out("  source: \(source.topic) (format \(source.format))") }
            Console.out(
                "  dead letters: \(configuration.deadLetterTopic) (parked after \(configuration.pipeline.maxReplays) failed replays)"
            )
            let target = configuration.target
            let described = TargetCatalog.entry(kind: target.kind).map {
                " — \($0.descriptor.title), after \($0.descriptor.document)"
            }
            Console.out(
                "  target: \(target.kind)\(target.name == target.kind ? "" : " named \(target.name)")\(described ?? "")"
            )
            Console.out("  lost-state safety net: \(Self.safetyNet(configuration))")
            let kafka = configuration.kafka
            let reads = configuration.sources.map(\.topic).joined(separator: ", ")
            let creation =
                kafka.createTopics.enabled
                ? "created when missing with \(kafka.createTopics.partitions) partitions, replication "
                    + (kafka.createTopics.replicationFactor < 0
                        ? "the broker's default" : String(kafka.createTopics.replicationFactor))
                : "must exist (kafka.create_topics.enabled is false)"
            Console.out("  topology (ingestor run: both stages; --stage all: the whole job in one process):")
            Console.out("    normalize stage: reads \(reads) (group \(kafka.groupID))")
            Console.out("      writes \(kafka.resolvedEventsTopic) (normalized events; \(creation))")
            Console.out("      writes \(configuration.deadLetterTopic) (dead letters; \(creation))")
            Console.out(
                "    delivery stage: reads \(kafka.resolvedEventsTopic) (group \(kafka.deliveryGroupID)) → \(configuration.target.name)"
            )
            Console.out("      writes \(kafka.resolvedChangelogTopic) (incident state, compacted; \(creation))")
            Console.out(
                "      writes \(kafka.resolvedAuditTopic) (decisions, kept \(IngestorConfiguration.text(configuration.state.auditRetention)))"
            )
            Console.out("    --stage all: reads \(reads) (group \(kafka.groupID)) → \(configuration.target.name)")
            Console.out("      writes \(configuration.deadLetterTopic) (dead letters); state only in state.path")
            Console.out(
                "  state: \(configuration.state.isInMemory ? ":memory: (lost on restart)" : configuration.state.path)"
                    + (noHostChecks ? " (not checked here)" : "")
            )
            Console.out("  ops: \(configuration.ops.host):\(configuration.ops.port)")
            if let intake = configuration.intake {
                let address = "\(intake.host ?? configuration.ops.host):\(intake.port)"
                let limits = intake.connections
                Console.out(
                    "  intake limits: headers within \(limits.headerTimeout), body within \(limits.bodyTimeout), idle \(limits.idleTimeout); \(limits.maxConnections) connections, \(limits.maxConnectionsPerAddress == 0 ? "any number" : String(limits.maxConnectionsPerAddress)) per address"
                )
                for source in intake.sources {
                    let auth =
                        switch source.authentication {
                        case .bearer: "bearer token"
                        case .hmac(let check): "HMAC-\(check.algorithm.uppercased()) in \(check.header)"
                        case .none: "no authentication"
                        }
                    let sns =
                        source.sns.map { $0.verifySignatures ? ", SNS signatures checked" : ", SNS unverified" } ?? ""
                    Console.out(
                        "  intake: POST /v1/ingest/\(source.name) on \(address) → \(source.topic) (\(auth)\(sns))"
                    )
                }
            }
        } catch let error as ConfigurationError {
            Console.err(error.description)
            throw ExitCode(ExitStatus.badConfiguration)
        }
    }

    /// What `pipeline.lookup_unknown_keys` does with this target, in one line.
    static func safetyNet(_ configuration: IngestorConfiguration) -> String {
        let target = configuration.target.name
        guard configuration.pipeline.lookupUnknownKeys else {
            return "off (pipeline.lookup_unknown_keys: false): a key with no state is created without a lookup"
        }
        guard configuration.target.looksUpUnknownKeys else {
            return "not used: \(target) cannot look incidents up by dedup key"
        }
        return "on: a key with no state is looked up at \(target) before it is created or its resolve ignored "
            + "(one extra call per key new to the state; pipeline.lookup_unknown_keys)"
    }
}

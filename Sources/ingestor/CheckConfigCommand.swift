import ArgumentParser
import Foundation
import IngestorKit
import Pipeline

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validates a configuration file the way `ingestor run` would, listing every problem.",
        discussion: """
            Reads FILE, applies INGESTOR_* environment overrides (INGESTOR_KAFKA__GROUP_ID=x sets \
            kafka.group_id), resolves secrets ({env: NAME} or {file: PATH}), and checks every key. Exits 0 \
            when the configuration is usable, 2 otherwise, printing one line per problem with its key path.
            """
    )

    @Argument(help: "The YAML configuration file.")
    var file: String

    func run() throws {
        do {
            let configuration = try IngestorConfiguration.load(
                path: file,
                environment: ProcessInfo.processInfo.environment
            )
            Console.out("ok: \(file)")
            Console.out(
                "  kafka: \(configuration.kafka.bootstrapServers.joined(separator: ",")) group \(configuration.kafka.groupID)"
            )
            for source in configuration.sources { Console.out("  source: \(source.topic) (format \(source.format))") }
            Console.out(
                "  dead letters: \(configuration.deadLetterTopic) (parked after \(configuration.pipeline.maxReplays) failed replays)"
            )
            Console.out("  target: \(configuration.target.name)")
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
}

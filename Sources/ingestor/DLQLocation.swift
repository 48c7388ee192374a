import ArgumentParser
import Foundation
import IngestorKit
import KafkaIO
import Pipeline

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
            let configuration = try Console.loadConfiguration(config, secretsNeeded: false)
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

    /// Streams the letters of the topic through `body`, turning Kafka errors into a clear message.
    func readLetters(
        _ body: (DeadLetterRecord) async throws -> Bool
    ) async throws -> String {
        let (servers, topic) = try resolve()
        do {
            try await KafkaTopicReader.read(topic: topic, bootstrapServers: servers, logger: DLQCommand.toolLogger) {
                try await body(DeadLetterRecord($0))
            }
        } catch let error as KafkaError {
            Console.err("cannot read \(topic) from \(servers.joined(separator: ",")): \(error)")
            throw ExitCode.failure
        }
        return topic
    }
}

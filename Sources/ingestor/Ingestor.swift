import ArgumentParser

/// The `ingestor` command.
@main
struct Ingestor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingestor",
        abstract: "Turns alerts from Kafka into incidents on your incident-management API.",
        discussion: """
            ingestor consumes raw alerts (Prometheus Alertmanager webhooks, …) from Kafka topics, normalizes \
            them, deduplicates them into one incident per problem, and creates, updates and resolves incidents \
            on the configured API. What cannot be delivered goes to a dead-letter topic with headers that say why.

            Start here:
              ingestor demo                        the whole job here, nothing to set up
              ingestor check-config ingestor.yaml  list every problem in a configuration
              ingestor normalize alert.json        see the events a payload becomes
              ingestor run --config ingestor.yaml  the worker

            When things fail:
              ingestor dlq stats --config ingestor.yaml              what is in the dead-letter topic, and why
              ingestor dlq show --config ingestor.yaml 0:42          one letter in full
              ingestor replay --config ingestor.yaml --dry-run       what a replay would do
              ingestor replay --config ingestor.yaml                 deliver them again, never twice

            For trying things by hand:
              ingestor dev-kafka --topic alerts.raw:6 --topic alerts.dlq:3
              ingestor mock-api --flavor devrev
            """,
        version: IngestorVersionText.text,
        subcommands: [
            RunCommand.self, DemoCommand.self, NormalizeCommand.self, CheckConfigCommand.self, DevKafkaCommand.self,
            MockAPICommand.self, DLQCommand.self, ReplayCommand.self, IncidentsCommand.self,
            VersionCommand.self,
        ]
    )
}

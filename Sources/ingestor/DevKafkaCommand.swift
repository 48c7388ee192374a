import ArgumentParser
import KafkaIO
import Logging

struct DevKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-kafka",
        abstract: "Runs an embedded Kafka cluster for other processes (kcat, other workers) until SIGINT or SIGTERM.",
        discussion: """
            The cluster is librdkafka's mock cluster: it speaks the real Kafka protocol on loopback TCP ports, \
            so any client can use it. The first line on standard output is bootstrap=HOST:PORT,... for scripts.

            Limits to know: it keeps only about 5 MiB per partition and silently drops older records, even \
            while a consumer reads them, so use more partitions and fewer bytes. A consumer's first group \
            join takes about 3 s. Everything is in memory and gone when this command exits.

            Example:
              ingestor dev-kafka --topic alerts.raw:6 --topic alerts.dlq:3
              kcat -b 127.0.0.1:PORT -t alerts.raw -P -k mykey alert.json
            """
    )

    @Option(help: "Number of brokers.") var brokers = 1
    @Option(name: .customLong("topic"), help: "A topic to create, NAME:PARTITIONS (repeatable).") var topics: [String] =
        []

    func validate() throws {
        guard brokers > 0 else { throw ValidationError("--brokers must be positive") }
        for topic in topics where KafkaTopicSpecification(parsing: topic) == nil {
            throw ValidationError("--topic \(topic): expected NAME:PARTITIONS, e.g. alerts.raw:6")
        }
    }

    func run() async throws {
        Console.bootstrapLogging(level: .warning)
        let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: Logger(label: "ingestor.dev-kafka"))
        for topic in topics.compactMap({ KafkaTopicSpecification(parsing: $0) }) {
            try cluster.createTopic(topic.name, partitions: topic.partitions, replicationFactor: min(3, brokers))
        }
        Console.out("bootstrap=\(cluster.bootstrapServers)")
        for topic in topics { Console.err("created topic \(topic)") }
        Console.err("embedded Kafka running with \(brokers) broker(s); keeps ~5 MiB per partition; Ctrl-C to stop")
        await Console.waitForTermination()
        Console.err("stopping")
        withExtendedLifetime(cluster) {}
    }
}

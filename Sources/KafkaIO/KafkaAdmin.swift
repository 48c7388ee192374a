public import Logging

/// Cluster administration: topic creation and metadata.
public struct KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let lane = BlockingCall(label: "ingestor.kafka.admin")

    /// Creates an admin client for `bootstrapServers`.
    public init(bootstrapServers: [String], logger: Logger) throws {
        try LibrdkafkaVersion.checkRuntime()
        client = try RDKafkaClient(
            kind: .producer,
            properties: ["bootstrap.servers": bootstrapServers.joined(separator: ",")],
            logger: logger
        )
    }

    /// Creates an admin client with a producer's settings (bootstrap servers, security, the raw overrides).
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        try LibrdkafkaVersion.checkRuntime()
        client = try RDKafkaClient(kind: .producer, properties: configuration.librdkafkaProperties(), logger: logger)
    }

    /// Creates topics; topics that exist already are left as they are.
    ///
    /// - Important: librdkafka's mock cluster (``EmbeddedKafkaCluster``) has no Admin API; create its topics with
    ///   ``EmbeddedKafkaCluster/createTopic(_:partitions:replicationFactor:)`` instead.
    /// - Throws: ``KafkaError`` for the first topic the cluster refused.
    public func createTopics(_ topics: [KafkaTopicSpecification], timeout: Duration = .seconds(30)) async throws {
        let client = client
        do {
            try await lane.run { try client.createTopics(topics, timeoutMilliseconds: Int32(timeout.milliseconds)) }
        } catch let error as KafkaError where error.code == .timedOut && error.message.contains("controller") {
            throw KafkaError(
                error.code,
                "\(error.message) (no controller answered; an embedded mock cluster has no Admin API, create its topics with `ingestor dev-kafka --topic NAME:PARTITIONS`)"
            )
        }
    }

    /// The number of partitions of each topic that exists among `topics`.
    public func partitionCounts(topics: [String], timeout: Duration = .seconds(10)) async throws -> [String: Int] {
        let client = client
        return try await lane.run {
            try client.partitionCounts(topics: topics, timeoutMilliseconds: Int32(timeout.milliseconds))
        }
    }

    /// The number of partitions of `topic`, asking about that topic alone: a cluster that creates topics on first
    /// use (librdkafka's mock cluster, a broker with `auto.create.topics.enable`) creates it with its defaults.
    public func partitionCountCreatingOnUse(of topic: String, timeout: Duration = .seconds(10)) async throws -> Int {
        let client = client
        return try await lane.run {
            try client.partitionCount(ofTopic: topic, timeoutMilliseconds: Int32(timeout.milliseconds))
        }
    }

    /// The low and high watermark of a partition.
    public func watermarks(
        _ partition: KafkaTopicPartition,
        timeout: Duration = .seconds(10)
    ) async throws -> (low: Int64, high: Int64) {
        let client = client
        return try await lane.run { try client.watermarks(partition, timeoutMilliseconds: Int32(timeout.milliseconds)) }
    }
}

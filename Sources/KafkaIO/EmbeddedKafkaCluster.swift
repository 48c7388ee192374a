public import Logging

/// An in-process Kafka cluster: librdkafka's mock cluster, listening on real loopback TCP ports, so any Kafka
/// client (this process, `kcat`, other workers) can use it.
///
/// - Important: The mock cluster keeps only about 5 MiB per partition and silently drops older records, even
///   while a consumer reads them (measured with librdkafka 2.0.2). Keep workloads well under that per partition:
///   more partitions, fewer bytes. A consumer's first group join takes about 3 s. It checks no record size (it has
///   no `max.message.bytes`; a 2 MB record is taken and read back whole), so only a producer's `message.max.bytes`
///   limits records, and a broker's size refusal can only be injected (``injectRequestErrors(_:_:)`` with
///   ``KafkaError/Code/messageSizeTooLarge``).
public final class EmbeddedKafkaCluster: Sendable {
    private let cluster: RDKafkaMockCluster
    /// The number of brokers; their ids are 1 through `brokerCount`.
    public let brokerCount: Int

    /// Starts a cluster with `brokers` brokers.
    public init(brokers: Int = 1, logger: Logger = Logger(label: "ingestor.embedded-kafka")) throws {
        try LibrdkafkaVersion.checkRuntime()
        precondition(brokers > 0, "a cluster needs at least one broker")
        cluster = try RDKafkaMockCluster(brokers: brokers, logger: logger)
        brokerCount = brokers
    }

    /// The bootstrap address list, `host:port,...`.
    public var bootstrapServers: String { cluster.bootstrapServers }

    /// The bootstrap addresses, one per broker.
    public var bootstrapServerList: [String] {
        bootstrapServers.split(separator: ",").map(String.init)
    }

    /// Creates a topic. Creating a topic that exists is an error.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        try cluster.createTopic(name, partitions: partitions, replicationFactor: min(replicationFactor, brokerCount))
    }

    /// Creates a topic from a specification.
    public func createTopic(_ topic: KafkaTopicSpecification) throws {
        try createTopic(topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor)
    }

    /// Takes a broker down: its connections close and it refuses new ones until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ id: Int32) throws { try cluster.setBroker(id, up: false) }

    /// Brings a broker back up.
    public func setBrokerUp(_ id: Int32) throws { try cluster.setBroker(id, up: true) }

    /// Adds latency to every response of a broker.
    public func setBrokerRoundTripTime(_ id: Int32, _ latency: Duration) throws {
        try cluster.setBrokerRoundTripTime(id, milliseconds: Int32(latency.milliseconds))
    }

    /// Makes the next requests of one API fail with `errors`, one error per request, in order.
    public func injectRequestErrors(_ api: KafkaAPI, _ errors: [KafkaError.Code]) {
        cluster.pushRequestErrors(apiKey: api.rawValue, errors: errors)
    }

    /// Removes errors injected for an API and not consumed yet.
    public func clearRequestErrors(_ api: KafkaAPI) {
        cluster.clearRequestErrors(apiKey: api.rawValue)
    }

    /// Makes every request about `topic` fail with `error` (or stops doing so, for `nil`).
    public func setTopicError(_ topic: String, _ error: KafkaError.Code?) {
        cluster.setTopicError(topic, error: error)
    }

    /// Moves a partition's leadership to a broker.
    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32) throws {
        try cluster.setPartitionLeader(topic: topic, partition: partition, broker: broker)
    }
}

/// Kafka protocol APIs whose requests the embedded cluster can be told to fail.
public enum KafkaAPI: Int16, Sendable, CaseIterable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case initProducerID = 22
}

/// Settings for a ``KafkaProducer``.
///
/// ``librdkafkaProperties()`` is the single place these become librdkafka properties.
public struct KafkaProducerConfiguration: Sendable, Hashable {
    /// Brokers to bootstrap from, `host:port` each. Required.
    public var bootstrapServers: [String]
    /// The client id brokers see; default `ingestor`.
    public var clientID: String = "ingestor"
    /// Exactly-once delivery per partition from this producer (no duplicates from internal retries, order kept);
    /// default on.
    public var idempotence: Bool = true
    /// How long to wait to batch records; default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// How long librdkafka keeps retrying one record before its send fails; default 30 s.
    public var deliveryTimeout: Duration = .seconds(30)
    /// Most records waiting in librdkafka's local queue; a full queue makes `send` wait; default 100,000.
    public var queueMessages: Int = 100_000
    /// Raw librdkafka properties applied last; they win over everything above.
    public var overrides: [String: String] = [:]

    /// Creates a configuration; the other properties have the documented defaults.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties this configuration stands for.
    public func librdkafkaProperties() -> [String: String] {
        var properties: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
            "enable.idempotence": idempotence ? "true" : "false",
            "linger.ms": String(linger.milliseconds),
            "delivery.timeout.ms": String(deliveryTimeout.milliseconds),
            "queue.buffering.max.messages": String(queueMessages),
        ]
        if idempotence { properties["acks"] = "all" }
        for (key, value) in overrides { properties[key] = value }
        return properties
    }
}

/// Settings for a ``KafkaConsumer``.
///
/// ``librdkafkaProperties()`` is the single place these become librdkafka properties.
public struct KafkaConsumerConfiguration: Sendable, Hashable {
    /// Where the consumer starts when the group has no committed offset.
    public enum OffsetReset: String, Sendable, Hashable {
        /// The oldest retained message.
        case earliest
        /// Only messages produced from now on.
        case latest
    }

    /// Brokers to bootstrap from, `host:port` each. Required.
    public var bootstrapServers: [String]
    /// The consumer group. Required.
    public var groupID: String
    /// The client id brokers see; default `ingestor`.
    public var clientID: String = "ingestor"
    /// How long the group waits for a heartbeat before evicting the member; default 45 s.
    public var sessionTimeout: Duration = .seconds(45)
    /// Longest pause between two polls before the member leaves the group; default 300 s.
    public var maxPollInterval: Duration = .seconds(300)
    /// Where to start without a committed offset; default `earliest`.
    public var offsetReset: OffsetReset = .earliest
    /// How often stored offsets are committed in the background; `nil` commits only on ``KafkaConsumer/commit()``
    /// and on close; default 1 s. Only offsets stored with ``KafkaConsumer/store(_:)`` are ever committed.
    public var commitInterval: Duration? = .seconds(1)
    /// librdkafka's prefetch bound in messages per partition (`queued.min.messages`); default 100,000, librdkafka's
    /// own. A partition whose local queue is past either bound is not fetched for a fixed second (librdkafka 2.0;
    /// 2.1 made it `fetch.queue.backoff.ms`): with 1,000, every fetch of a busy partition (up to 1 MiB, about 1,300
    /// records of 760 B) crossed it, and a 100,000-record backlog drained in 15 s where kcat took 0.6 s.
    public var prefetchMessages: Int = 100_000
    /// librdkafka's prefetch bound in KiB across partitions (`queued.max.messages.kbytes`); default 64 MiB,
    /// librdkafka's own: the memory a backlog's prefetch may take, and with ``prefetchMessages`` what lets the
    /// consumer read at the broker's pace.
    public var prefetchKilobytes: Int = 64 * 1024
    /// The assignment strategy (`partition.assignment.strategy`); default `range,roundrobin` (eager).
    public var assignmentStrategy: String = "range,roundrobin"
    /// How often topic metadata is refreshed; default 30 s. New partitions are seen after at most this long.
    public var metadataRefreshInterval: Duration = .seconds(30)
    /// Raw librdkafka properties applied last; they win over everything above.
    public var overrides: [String: String] = [:]

    /// Creates a configuration; the other properties have the documented defaults.
    public init(bootstrapServers: [String], groupID: String) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
    }

    /// The librdkafka properties this configuration stands for.
    ///
    /// Automatic offset *store* is always off: an offset becomes committable only when the application stores it.
    public func librdkafkaProperties() -> [String: String] {
        var properties: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "group.id": groupID,
            "client.id": clientID,
            "session.timeout.ms": String(sessionTimeout.milliseconds),
            "max.poll.interval.ms": String(maxPollInterval.milliseconds),
            "auto.offset.reset": offsetReset.rawValue,
            "enable.auto.offset.store": "false",
            "enable.auto.commit": commitInterval == nil ? "false" : "true",
            "queued.min.messages": String(prefetchMessages),
            "queued.max.messages.kbytes": String(prefetchKilobytes),
            "partition.assignment.strategy": assignmentStrategy,
            "topic.metadata.refresh.interval.ms": String(metadataRefreshInterval.milliseconds),
            "enable.partition.eof": "false",
        ]
        if let commitInterval {
            properties["auto.commit.interval.ms"] = String(commitInterval.milliseconds)
        }
        for (key, value) in overrides { properties[key] = value }
        return properties
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

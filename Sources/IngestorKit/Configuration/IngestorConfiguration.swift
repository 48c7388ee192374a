package import IncidentAPI
public import KafkaIO
public import Logging
public import Normalizer
public import Pipeline

/// The worker's whole configuration: one root of nested, typed settings, validated once.
///
/// Loaded from YAML plus `INGESTOR_*` environment overrides (``load(path:environment:)``); every key, its unit
/// and default are documented in the README's configuration reference and described by
/// `schemas/config.schema.json` (ConfigSchemaTests keeps its keys and defaults equal to what the loader reads).
public struct IngestorConfiguration: Sendable {
    /// `kafka.*`
    public struct Kafka: Sendable, Hashable {
        /// `kafka.bootstrap_servers`: brokers, a list or comma-separated. Required.
        public var bootstrapServers: [String]
        /// `kafka.group_id`: the consumer group; default `ingestor`.
        public var groupID = "ingestor"
        /// `kafka.client_id`: default `ingestor`.
        public var clientID = "ingestor"
        /// `kafka.session_timeout`: default 45s, 6s–5m.
        public var sessionTimeout: Duration = .seconds(45)
        /// `kafka.max_poll_interval`: default 5m.
        public var maxPollInterval: Duration = .seconds(300)
        /// `kafka.offset_reset`: `earliest` (default) or `latest`.
        public var offsetReset: KafkaConsumerConfiguration.OffsetReset = .earliest
        /// `kafka.commit_interval`: how often stored offsets are committed; default 1s.
        public var commitInterval: Duration = .seconds(1)
        /// `kafka.librdkafka`: raw librdkafka properties for the consumer and the producer.
        public var librdkafka: [String: String] = [:]
        /// `kafka.events_topic`: where the normalize stage writes normalized events; default `<group_id>.events`.
        public var eventsTopic: String?
        /// `kafka.create_topics.*`: topics the worker writes and finds missing are created with these.
        public var createTopics = TopicCreation()

        /// The events topic: `kafka.events_topic`, or `<group_id>.events`.
        public var resolvedEventsTopic: String { eventsTopic ?? "\(groupID).events" }
        /// `kafka.changelog_topic`: where the delivery stage writes every state change; default
        /// `<group_id>.changelog`.
        public var changelogTopic: String?
        /// The changelog topic: `kafka.changelog_topic`, or `<group_id>.changelog`.
        public var resolvedChangelogTopic: String { changelogTopic ?? "\(groupID).changelog" }
        /// `kafka.audit_topic`: where the delivery stage publishes every decision (`ingestor incidents explain` reads
        /// it); default `<group_id>.audit`.
        public var auditTopic: String?
        /// The audit topic: `kafka.audit_topic`, or `<group_id>.audit`.
        public var resolvedAuditTopic: String { auditTopic ?? "\(groupID).audit" }
        /// The delivery stage's consumer group on the events topic: `<group_id>.deliver`.
        public var deliveryGroupID: String { "\(groupID).deliver" }
    }

    /// `kafka.create_topics.*`: how the worker creates the topics it writes (the events topic, the dead-letter
    /// topic) when they are missing.
    public struct TopicCreation: Sendable, Hashable {
        /// `kafka.create_topics.enabled`: create missing topics; default true.
        public var enabled = true
        /// `kafka.create_topics.partitions`: partitions of a created events topic; default 12. When set, an
        /// existing events topic with another count is refused (the state that will be partitioned by it must
        /// match).
        public var partitions: Int = 12
        /// Whether `partitions` was set in the file (an existing topic must then match it).
        public var partitionsSet = false
        /// `kafka.create_topics.replication_factor`: default -1, the broker's default.
        public var replicationFactor: Int = -1
    }

    /// One entry of `sources`: a topic and the decoder for it.
    public struct Source: Sendable, Hashable {
        /// `sources[i].topic`.
        public var topic: String
        /// `sources[i].format` and the decoders' options (`generic`, `email`, `default_severity`, …).
        public var route: SourceRoute
        /// `sources[i].group_by` and `sources[i].group_wait`, when set.
        public var grouping: Grouping?

        /// `sources[i].format`: a decoder name or `auto` (default).
        public var format: SourceFormat { route.format }
    }

    /// The incident API the worker delivers to: `target.kind` and the settings its section holds, read by that
    /// kind's adapter (see ``TargetCatalog``).
    public struct Target: Sendable {
        /// What the adapter read, and how to make it.
        package let configured: ConfiguredTarget

        /// `target.kind`, e.g. `infraon`.
        public var kind: String { configured.kind }

        /// The adapter's name in metrics, logs and dead letters (the kind, or `target.http.name`).
        public var name: String { configured.name }

        /// The adapter's own settings type, e.g. `settings as? InfraonConfiguration`.
        package var settings: any TargetSettings { configured.settings }

        package init(_ configured: ConfiguredTarget) {
            self.configured = configured
        }
    }

    /// `state.*`: where incident records and the decision audit trail are kept.
    public struct State: Sendable, Hashable {
        /// `state.path`: the SQLite file; default `ingestor-state.sqlite` (in the working directory). `:memory:`
        /// keeps state in memory only, which loses it on restart: for trying things out, never for production.
        public var path = "ingestor-state.sqlite"
        /// `state.cache_records`: records kept in memory in front of the file; default 100,000.
        public var cacheRecords = 100_000
        /// `state.audit_retention`: how long decisions stay in the audit trail; default 7d.
        public var auditRetention: Duration = .seconds(7 * 86_400)
        /// `state.resolved_retention`: how long a resolved key is remembered after its resolve (to drop late events
        /// of it as stale); older ones are let go at start, and by the delivery stage when it restores a partition.
        /// Default 7d.
        public var resolvedRetention: Duration = .seconds(7 * 86_400)

        /// Whether state lives in memory only.
        public var isInMemory: Bool { path == ":memory:" }
    }

    /// `ops.*`: the operations HTTP server.
    public struct Ops: Sendable, Hashable {
        /// `ops.host`: default `0.0.0.0`.
        public var host = "0.0.0.0"
        /// `ops.port`: default 9464; 0 picks a free port.
        public var port = 9464
        /// `ops.readiness.*`: when `/readyz` stops saying ready.
        public var readiness = Readiness()

        /// `ops.readiness.*`: how long a bad state may last before `/readyz` answers 503.
        public struct Readiness: Sendable, Hashable {
            /// `ops.readiness.broker_unreachable_after`: no broker answered the worker's metadata check for this long;
            /// default 30 s.
            public var brokerUnreachableAfter: Duration = .seconds(30)
            /// `ops.readiness.unassigned_after`: the worker has held no partition for this long although its topics
            /// have some; default 60 s (a first group join or a rebalance takes seconds).
            public var unassignedAfter: Duration = .seconds(60)
            /// `ops.readiness.stuck_after`: a partition's oldest unfinished message has been in flight for this long;
            /// default 10 min (above `pipeline.retry.max_elapsed`'s default, so an outage the worker waits out as
            /// designed does not count, but a message that can neither be delivered nor dead-lettered does).
            public var stuckAfter: Duration = .seconds(600)
            /// `ops.readiness.probe_interval`: how often the worker asks the cluster for metadata (also the request's
            /// timeout); default 5 s.
            public var probeInterval: Duration = .seconds(5)
        }
    }

    /// `kafka.*`
    public var kafka: Kafka
    /// `sources[]`: topics to consume and their formats. Required.
    public var sources: [Source]
    /// `dead_letter.topic`: where undeliverable messages go. Required; must differ from every source topic.
    public var deadLetterTopic: String
    /// `pipeline.*`
    public var pipeline: PipelineConfiguration
    /// `pipeline.retry.*`
    public var retry: RetryPolicy
    /// `limits.*`
    public var limits: Normalizer.Limits
    /// `pipeline.default_severity`: severity when a source gives none; default `medium`.
    public var defaultSeverity: Severity
    /// `target.*`
    public var target: Target
    /// `target.rate_limit.*`: the target's token bucket.
    public var targetLimits: TargetGate.Limits
    /// `state.*`
    public var state: State
    /// `ops.*`
    public var ops: Ops
    /// `intake.*`: the webhook intake; `nil` when not configured.
    public var intake: IntakeConfiguration?
    /// `logging.level`: `trace`…`critical`; default `info`.
    public var logLevel: Logger.Level

    /// The consumer settings this configuration stands for.
    public var consumerConfiguration: KafkaConsumerConfiguration {
        var consumer = KafkaConsumerConfiguration(bootstrapServers: kafka.bootstrapServers, groupID: kafka.groupID)
        consumer.clientID = kafka.clientID
        consumer.sessionTimeout = kafka.sessionTimeout
        consumer.maxPollInterval = kafka.maxPollInterval
        consumer.offsetReset = kafka.offsetReset
        consumer.commitInterval = kafka.commitInterval
        consumer.overrides = kafka.librdkafka
        return consumer
    }

    /// The producer settings this configuration stands for (dead letters, the intake, and the base of the events and
    /// changelog producers). No linger: a lone record goes out at once, and under load librdkafka still batches
    /// what queues while earlier requests are in flight. With librdkafka's 5 ms, every webhook waited 5 ms for its
    /// 202 and 32 senders got 2,047 requests/s; with none, 0.44 ms and 11,020/s (BENCHMARKS.md).
    public var producerConfiguration: KafkaProducerConfiguration {
        var producer = KafkaProducerConfiguration(bootstrapServers: kafka.bootstrapServers)
        producer.clientID = kafka.clientID
        producer.linger = .zero
        producer.overrides = kafka.librdkafka.filter { !Self.consumerOnlyProperties.contains($0.key) }
        return producer
    }

    /// The events producer's settings: the worker's, with no delivery timeout (an event waits for the broker as long
    /// as it takes, its raw offset with it) and Java's murmur2 partitioner (any client writing the same key picks
    /// the same partition); `kafka.librdkafka` still wins.
    public var eventsProducerConfiguration: KafkaProducerConfiguration {
        var producer = producerConfiguration
        producer.deliveryTimeout = .zero
        producer.overrides = ["partitioner": "murmur2_random"].merging(producer.overrides) { $1 }
        return producer
    }

    /// The changelog producer's settings: the worker's, with no delivery timeout (a state change waits for the broker
    /// as long as it takes, and what caused it with it).
    public var changelogProducerConfiguration: KafkaProducerConfiguration {
        var producer = producerConfiguration
        producer.deliveryTimeout = .zero
        return producer
    }

    /// librdkafka properties in `kafka.librdkafka` that a producer would refuse.
    static let consumerOnlyProperties: Set<String> = [
        "group.id", "group.instance.id", "session.timeout.ms", "max.poll.interval.ms", "auto.offset.reset",
        "enable.auto.commit", "enable.auto.offset.store", "auto.commit.interval.ms", "partition.assignment.strategy",
        "queued.min.messages", "queued.max.messages.kbytes", "fetch.max.bytes", "fetch.min.bytes", "fetch.wait.max.ms",
        "enable.partition.eof", "isolation.level",
    ]
}

extension IngestorConfiguration {
    /// A duration as the configuration file writes it (`7d`, `90s`, `250ms`).
    public static func text(_ duration: Duration) -> String { ConfigSection.format(duration) }
}

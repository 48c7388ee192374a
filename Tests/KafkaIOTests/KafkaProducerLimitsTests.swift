import KafkaIO
import Testing

/// The record size limits of the producer and of the embedded cluster, measured.
@Suite("Kafka producer size limits", .serialized)
struct KafkaProducerLimitsTests {
    static func producer(maxMessageBytes: Int?, cluster: EmbeddedKafkaCluster = sharedCluster) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
        if let maxMessageBytes { configuration.overrides["message.max.bytes"] = String(maxMessageBytes) }
        return try KafkaProducer(configuration: configuration, logger: quietLogger)
    }

    @Test func theLimitIsLibrdkafkasMessageMaxBytes() async throws {
        let defaults = try Self.producer(maxMessageBytes: nil)
        #expect(defaults.maxMessageBytes == 1_000_000, "librdkafka's documented default")
        let raised = try Self.producer(maxMessageBytes: 3_000_000)
        #expect(raised.maxMessageBytes == 3_000_000, "what kafka.librdkafka sets")
        await defaults.close(timeout: .seconds(1))
        await raised.close(timeout: .seconds(1))
    }

    /// `recordSize` counts what librdkafka compares with `message.max.bytes`: a record of exactly the limit is
    /// taken, one byte more is refused before anything is sent.
    @Test func recordSizeIsWhatTheProducerChecks() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 1)
        let limit = 20_000
        let producer = try Self.producer(maxMessageBytes: limit)
        let key = "a key".bytes
        let headers = [
            KafkaHeader(key: "ingestor-dlq-reason", text: "invalid_json"), KafkaHeader(key: "empty", value: nil),
            KafkaHeader(key: "long", value: Array(repeating: 0x61, count: 300)),
        ]
        let overhead = KafkaProducer.recordSize(key: key, value: [], headers: headers)
        let fitting = Array(repeating: UInt8(0x7A), count: limit - overhead)
        #expect(KafkaProducer.recordSize(key: key, value: fitting, headers: headers) == limit)
        let report = try await producer.send(topic: topic, key: key, value: fitting, headers: headers)
        #expect(report.offset == 0)
        let started = ContinuousClock.now
        await #expect(throws: KafkaError(.messageSizeTooLarge, "")) {
            try await producer.send(topic: topic, key: key, value: fitting + [0x7A], headers: headers)
        }
        #expect(ContinuousClock.now - started < .seconds(1), "refused locally, without a round trip")
        await producer.close(timeout: .seconds(1))
    }

    /// librdkafka 2.0.2's mock cluster checks no record size: a topic takes a record larger than a real broker's
    /// default `max.message.bytes` (1,048,588), and a consumer reads it back whole.
    @Test func theEmbeddedClusterTakesRecordsOverABrokersDefaultLimit() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 1)
        let producer = try Self.producer(maxMessageBytes: 3_000_000)
        let value = (0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 % 241) }
        try await producer.send(topic: topic, key: nil, value: value)
        await producer.close(timeout: .seconds(1))
        let consumer = try makeConsumer(group: "g-\(topic)")
        try consumer.assign([
            KafkaTopicPartitionOffset(
                KafkaTopicPartition(topic: topic, partition: 0),
                offset: KafkaTopicPartitionOffset.beginning
            )
        ])
        let messages = try await collectMessages(consumer, count: 1)
        #expect(messages.first?.value == value)
        try await consumer.close()
    }

    /// A broker's refusal for size (here injected: the mock cluster never refuses for size) fails that record's
    /// send with the same code as the local check, and the idempotent producer goes on sending.
    @Test func aBrokerRefusalFailsTheRecordAndTheProducerGoesOn() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: quietLogger)
        let topic = uniqueTopic()
        try cluster.createTopic(topic, partitions: 1)
        let producer = try Self.producer(maxMessageBytes: nil, cluster: cluster)
        try await producer.send(topic: topic, key: nil, value: "first".bytes)
        cluster.injectRequestErrors(.produce, [.messageSizeTooLarge])
        await #expect(throws: KafkaError(.messageSizeTooLarge, "")) {
            try await producer.send(topic: topic, key: nil, value: "refused".bytes)
        }
        let report = try await producer.send(topic: topic, key: nil, value: "after".bytes)
        #expect(report.offset == 1, "the refused record was not written")
        await producer.close(timeout: .seconds(1))
    }
}

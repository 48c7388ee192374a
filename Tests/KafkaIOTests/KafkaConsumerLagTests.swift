import KafkaIO
import Testing

@Suite("Kafka consumer lag")
struct KafkaConsumerLagTests {
    @Test func lagCountsRecordsPastTheCommittedOffsetOrPastWhereTheResetStarts() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 2)
        let producer = try makeProducer()
        for index in 0..<5 { try await producer.send(topic: topic, partition: 0, key: nil, value: "a\(index)".bytes) }
        for index in 0..<3 { try await producer.send(topic: topic, partition: 1, key: nil, value: "b\(index)".bytes) }
        let first = KafkaTopicPartition(topic: topic, partition: 0)
        let second = KafkaTopicPartition(topic: topic, partition: 1)

        let consumer = try makeConsumer(group: "g-\(topic)")
        try consumer.assign([
            KafkaTopicPartitionOffset(first, offset: KafkaTopicPartitionOffset.committedOrReset),
            KafkaTopicPartitionOffset(second, offset: KafkaTopicPartitionOffset.committedOrReset),
        ])
        _ = try await collectMessages(consumer, count: 8)
        // Nothing committed: with `earliest` every record from the low watermark on is behind, read or not.
        #expect(try await consumer.lag() == [first: 5, second: 3])
        try consumer.store([KafkaTopicPartitionOffset(first, offset: 2)])
        try await consumer.commit()
        #expect(try await consumer.lag() == [first: 3, second: 3])
        try consumer.store([KafkaTopicPartitionOffset(second, offset: 3)])
        try await consumer.commit()
        #expect(try await consumer.lag() == [first: 3, second: 0])
        try await consumer.close()

        // With `latest` and nothing committed, the group starts at the end: nothing is behind yet.
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: sharedCluster.bootstrapServerList,
            groupID: "latest-\(topic)"
        )
        configuration.offsetReset = .latest
        let latest = try KafkaConsumer(configuration: configuration, logger: quietLogger)
        try latest.assign([KafkaTopicPartitionOffset(first, offset: KafkaTopicPartitionOffset.committedOrReset)])
        #expect(try await latest.lag() == [first: 0])
        try await latest.close()
    }
}

import KafkaIO
import Testing

@Suite("Kafka produce and consume")
struct KafkaRoundTripTests {
    @Test func producedRecordsArriveWithKeysHeadersAndTimestamps() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 1)
        let producer = try makeProducer()
        var reports: [KafkaDeliveryReport] = []
        for index in 0..<3 {
            reports.append(
                try await producer.send(
                    topic: topic,
                    key: "key-\(index)".bytes,
                    value: "value-\(index)".bytes,
                    headers: [KafkaHeader(key: "h1", text: "v\(index)"), KafkaHeader(key: "null-header", value: nil)]
                )
            )
        }
        #expect(reports.map(\.offset) == [0, 1, 2])

        let consumer = try makeConsumer(group: "g-\(topic)")
        try consumer.assign([
            KafkaTopicPartitionOffset(
                KafkaTopicPartition(topic: topic, partition: 0),
                offset: KafkaTopicPartitionOffset.beginning
            )
        ])
        let messages = try await collectMessages(consumer, count: 3)
        #expect(messages.map { String(decoding: $0.value, as: UTF8.self) } == ["value-0", "value-1", "value-2"])
        #expect(messages.map { $0.key.map { String(decoding: $0, as: UTF8.self) } } == ["key-0", "key-1", "key-2"])
        #expect(messages.map(\.offset) == [0, 1, 2])
        #expect(
            messages[1].headers == [KafkaHeader(key: "h1", text: "v1"), KafkaHeader(key: "null-header", value: nil)]
        )
        #expect(messages.allSatisfy { $0.timestampMilliseconds != nil })
        try await consumer.close()
    }

    @Test func recordsHandedOverInOrderLandInOrderWhateverOrderTheirAcknowledgementsAreAwaitedIn() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 1)
        let producer = try makeProducer()
        var deliveries: [KafkaDelivery] = []
        for index in 0..<50 {
            deliveries.append(try await producer.enqueue(topic: topic, key: "k".bytes, value: "value-\(index)".bytes))
        }
        // Awaited last to first, some after their report surely arrived: each still gets its own report.
        try await Task.sleep(for: .milliseconds(200))
        var offsets: [Int64] = []
        for delivery in deliveries.reversed() { offsets.append(try await delivery.report().offset) }
        #expect(offsets == (0..<50).reversed().map(Int64.init))
        let consumer = try makeConsumer(group: "g-\(topic)")
        try consumer.assign([
            KafkaTopicPartitionOffset(
                KafkaTopicPartition(topic: topic, partition: 0),
                offset: KafkaTopicPartitionOffset.beginning
            )
        ])
        let messages = try await collectMessages(consumer, count: 50)
        #expect(messages.map { String(decoding: $0.value, as: UTF8.self) } == (0..<50).map { "value-\($0)" })
        try await consumer.close()
    }

    @Test func recordWithoutKeyHasNilKey() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 1)
        let producer = try makeProducer()
        try await producer.send(topic: topic, key: nil, value: "x".bytes)
        let consumer = try makeConsumer(group: "g-\(topic)")
        try consumer.assign([
            KafkaTopicPartitionOffset(
                KafkaTopicPartition(topic: topic, partition: 0),
                offset: KafkaTopicPartitionOffset.beginning
            )
        ])
        let messages = try await collectMessages(consumer, count: 1)
        #expect(messages[0].key == nil)
        #expect(messages[0].headers.isEmpty)
        try await consumer.close()
    }

    @Test func sendToClosedProducerThrows() async throws {
        let producer = try makeProducer()
        await producer.close(timeout: .seconds(1))
        await #expect(throws: KafkaError(.closed, "")) {
            try await producer.send(topic: "anything", key: nil, value: [1])
        }
    }

    @Test func closedConsumerRefusesOperations() async throws {
        let consumer = try makeConsumer(group: "g-closed")
        try consumer.assign([])
        try await consumer.close()
        try await consumer.close()
        #expect(throws: KafkaError(.closed, "")) { try consumer.store([]) }
        var iterator = consumer.events.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
    }
}

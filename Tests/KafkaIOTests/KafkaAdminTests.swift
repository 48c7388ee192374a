import Foundation
import KafkaIO
import Testing

@Suite("Kafka admin")
struct KafkaAdminTests {
    @Test func reportsPartitionCountsAndWatermarks() async throws {
        let admin = try KafkaAdmin(bootstrapServers: sharedCluster.bootstrapServerList, logger: quietLogger)
        let name = uniqueTopic()
        try sharedCluster.createTopic(name, partitions: 5)
        #expect(try await admin.partitionCounts(topics: [name, "no-such-topic-\(name)"]) == [name: 5])
        let producer = try makeProducer()
        let report = try await producer.send(topic: name, partition: 4, key: nil, value: [1])
        #expect(report.topicPartition.partition == 4)
        let marks = try await admin.watermarks(KafkaTopicPartition(topic: name, partition: 4))
        #expect(marks.low == 0 && marks.high == 1)
    }

    /// librdkafka's mock cluster has no CreateTopics handler (2.0.2), so this needs a real broker:
    /// `KAFKA_HOST=localhost:29092 swift test --filter KafkaAdminTests` with `docker compose up kafka`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KAFKA_HOST"] != nil, "needs a real broker in KAFKA_HOST"))
    func createsTopicsThroughTheAdminAPI() async throws {
        let host = try #require(ProcessInfo.processInfo.environment["KAFKA_HOST"])
        let admin = try KafkaAdmin(bootstrapServers: [host], logger: quietLogger)
        let name = uniqueTopic()
        try await admin.createTopics([KafkaTopicSpecification(name: name, partitions: 3)])
        try await admin.createTopics([KafkaTopicSpecification(name: name, partitions: 3)])
        #expect(try await admin.partitionCounts(topics: [name]) == [name: 3])
    }
}

@Suite("Topic reader")
struct KafkaTopicReaderTests {
    @Test func readsEveryPartitionToItsCurrentEndInOrder() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 3)
        let producer = try makeProducer()
        for index in 0..<9 {
            try await producer.send(topic: topic, partition: Int32(index % 3), key: nil, value: "m\(index)".bytes)
        }
        let ends = try await KafkaTopicReader.endOffsets(
            topic: topic,
            bootstrapServers: sharedCluster.bootstrapServerList,
            logger: quietLogger
        )
        #expect(ends.values.sorted() == [3, 3, 3])
        let records = try await KafkaTopicReader.readAll(
            topic: topic,
            bootstrapServers: sharedCluster.bootstrapServerList,
            logger: quietLogger
        )
        #expect(
            records.map { "\($0.partition)@\($0.offset)" } == [
                "0@0", "0@1", "0@2", "1@0", "1@1", "1@2", "2@0", "2@1", "2@2",
            ]
        )
        #expect(records.first.map { String(decoding: $0.value, as: UTF8.self) } == "m0")
    }

    @Test func emptyTopicReadsAsNothing() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 2)
        #expect(
            try await KafkaTopicReader.readAll(
                topic: topic,
                bootstrapServers: sharedCluster.bootstrapServerList,
                logger: quietLogger
            ).isEmpty
        )
    }
}

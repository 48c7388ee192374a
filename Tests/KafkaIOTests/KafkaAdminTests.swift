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

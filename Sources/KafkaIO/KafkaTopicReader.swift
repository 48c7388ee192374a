public import Logging

/// Reads a topic as it is now: its end offsets, or every record from the beginning up to them.
///
/// For tools and checks (the demo's verification, tests, dead-letter inspection), not for the worker's
/// consumption, which goes through a group.
public enum KafkaTopicReader {
    /// The end offset (high watermark: the next offset to be written) of every partition of `topic`.
    public static func endOffsets(
        topic: String,
        bootstrapServers: [String],
        logger: Logger
    ) async throws
        -> [KafkaTopicPartition: Int64]
    {
        let admin = try KafkaAdmin(bootstrapServers: bootstrapServers, logger: logger)
        let count = try await admin.partitionCounts(topics: [topic])[topic] ?? 0
        var ends: [KafkaTopicPartition: Int64] = [:]
        for partition in 0..<Int32(count) {
            let topicPartition = KafkaTopicPartition(topic: topic, partition: partition)
            ends[topicPartition] = try await admin.watermarks(topicPartition).high
        }
        return ends
    }

    /// Every record of `topic` from the beginning up to the end offsets at the time of the call, in partition order.
    /// - Parameter timeout: give up (throwing) when the records do not arrive within this time.
    public static func readAll(
        topic: String,
        bootstrapServers: [String],
        logger: Logger,
        timeout: Duration = .seconds(30)
    ) async throws -> [KafkaMessage] {
        let ends = try await endOffsets(topic: topic, bootstrapServers: bootstrapServers, logger: logger)
        var remaining = ends.filter { $0.value > 0 }
        guard !remaining.isEmpty else { return [] }
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: bootstrapServers,
                groupID: "ingestor-topic-reader"
            ),
            logger: logger
        )
        try consumer.assign(
            remaining.keys.map { KafkaTopicPartitionOffset($0, offset: KafkaTopicPartitionOffset.beginning) }
        )
        let deadline = ContinuousClock.now + timeout
        var records: [KafkaMessage] = []
        var iterator = consumer.events.makeAsyncIterator()
        while !remaining.isEmpty {
            guard ContinuousClock.now < deadline else {
                try await consumer.close()
                throw KafkaError(.timedOut, "reading \(topic): \(remaining.count) partitions not read to their end")
            }
            guard let event = try await iterator.next() else { break }
            guard case .message(let message) = event else { continue }
            records.append(message)
            if let end = remaining[message.topicPartition], message.offset + 1 >= end {
                remaining[message.topicPartition] = nil
            }
        }
        try await consumer.close()
        return records.sorted { ($0.topicPartition, $0.offset) < ($1.topicPartition, $1.offset) }
    }
}

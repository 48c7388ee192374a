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
        var records: [KafkaMessage] = []
        try await read(topic: topic, bootstrapServers: bootstrapServers, logger: logger, timeout: timeout) {
            records.append($0)
            return true
        }
        return records.sorted { ($0.topicPartition, $0.offset) < ($1.topicPartition, $1.offset) }
    }

    /// Streams the records of `topic` from the beginning up to the end offsets at the time of the call, partitions
    /// interleaved as they arrive, without keeping them.
    /// - Parameters:
    ///   - timeout: give up (throwing) when no record arrives for this long while some are still due.
    ///   - body: called with each record; return `false` to stop early.
    public static func read(
        topic: String,
        bootstrapServers: [String],
        logger: Logger,
        timeout: Duration = .seconds(30),
        _ body: (KafkaMessage) async throws -> Bool
    ) async throws {
        let ends = try await endOffsets(topic: topic, bootstrapServers: bootstrapServers, logger: logger)
        var remaining = ends.filter { $0.value > 0 }
        guard !remaining.isEmpty else { return }
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
        var deadline = ContinuousClock.now + timeout
        var iterator = consumer.events(idleTicks: true).makeAsyncIterator()
        do {
            while !remaining.isEmpty {
                guard ContinuousClock.now < deadline else {
                    throw KafkaError(.timedOut, "reading \(topic): \(remaining.count) partitions not read to their end")
                }
                guard let event = try await iterator.next() else { break }
                guard case .message(let message) = event else { continue }
                deadline = ContinuousClock.now + timeout
                if let end = remaining[message.topicPartition], message.offset + 1 >= end {
                    remaining[message.topicPartition] = nil
                }
                guard try await body(message) else { break }
            }
        } catch {
            try? await consumer.close()
            throw error
        }
        try await consumer.close()
    }

    /// The record at `offset` of `partition`, or `nil` when the partition has no such record (before its start,
    /// past its end, or removed by retention).
    public static func record(
        at offset: Int64,
        of partition: KafkaTopicPartition,
        bootstrapServers: [String],
        logger: Logger,
        timeout: Duration = .seconds(10)
    ) async throws -> KafkaMessage? {
        let admin = try KafkaAdmin(bootstrapServers: bootstrapServers, logger: logger)
        let marks = try await admin.watermarks(partition)
        guard offset >= marks.low, offset < marks.high else { return nil }
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: bootstrapServers,
                groupID: "ingestor-topic-reader"
            ),
            logger: logger
        )
        try consumer.assign([KafkaTopicPartitionOffset(partition, offset: offset)])
        let deadline = ContinuousClock.now + timeout
        var found: KafkaMessage?
        var iterator = consumer.events(idleTicks: true).makeAsyncIterator()
        while found == nil, ContinuousClock.now < deadline, let event = try await iterator.next() {
            // The first record at or past the offset (a compacted topic may have none exactly there).
            if case .message(let message) = event, message.offset >= offset {
                found = message.offset == offset ? message : nil
                break
            }
        }
        try await consumer.close()
        return found
    }
}

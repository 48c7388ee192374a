public import KafkaIO
public import Logging

/// The changelog topic: a compacted topic with one partition per events partition, written through the worker's
/// changelog producer (idempotent, no delivery timeout) with each record's claim in headers, and read back
/// partition by partition for restores by a consumer of its own that joins no group.
public struct KafkaChangelog: ChangelogSink, ChangelogSource {
    /// The header naming the worker that wrote a record.
    public static let ownerHeader = "ingestor-owner"

    /// The topic.
    public let topic: String
    /// Where decisions are published (``DecisionSink``), if anywhere.
    public let auditTopic: String?
    private let producer: KafkaProducer
    private let admin: KafkaAdmin
    private let consumerConfiguration: KafkaConsumerConfiguration
    private let logger: Logger

    /// Creates the changelog of `topic`.
    /// - Parameters:
    ///   - consumerConfiguration: the settings restores read with (its group is never joined).
    ///   - auditTopic: where decisions are published, keyed like the changelog's records.
    public init(
        topic: String,
        auditTopic: String? = nil,
        producer: KafkaProducer,
        admin: KafkaAdmin,
        consumerConfiguration: KafkaConsumerConfiguration,
        logger: Logger
    ) {
        self.topic = topic
        self.auditTopic = auditTopic
        self.producer = producer
        self.admin = admin
        var configuration = consumerConfiguration
        configuration.groupID += ".restore"
        configuration.commitInterval = nil
        // A restore reads a partition from one offset to its end as fast as the broker serves it.
        configuration.prefetchMessages = 100_000
        configuration.overrides["fetch.wait.max.ms"] = configuration.overrides["fetch.wait.max.ms"] ?? "10"
        self.consumerConfiguration = configuration
        self.logger = logger
    }

    public func send(
        _ entry: ChangelogEntry,
        partition: Int32,
        epoch: Int64,
        owner: String
    ) async throws -> ChangelogReceipt {
        let delivery = try await producer.enqueue(
            topic: topic,
            partition: partition,
            key: Array(entry.key.utf8),
            value: entry.value,
            headers: [
                KafkaHeader(key: ChangelogEntry.epochHeader, text: String(epoch)),
                KafkaHeader(key: Self.ownerHeader, text: owner),
            ]
        )
        return ChangelogReceipt { try await delivery.report().offset }
    }

    public func read(
        partition: Int32,
        from offset: Int64,
        remaining: @escaping @Sendable (Int64) -> Void
    ) async throws -> [ChangelogRecord] {
        let topicPartition = KafkaTopicPartition(topic: topic, partition: partition)
        let marks = try await admin.watermarks(topicPartition)
        let start = max(offset, marks.low)
        guard start < marks.high else { return [] }
        remaining(marks.high - start)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        try consumer.assign([KafkaTopicPartitionOffset(topicPartition, offset: start)])
        var records: [ChangelogRecord] = []
        var iterator = consumer.events(idleTicks: true).makeAsyncIterator()
        var deadline = ContinuousClock.now + .seconds(30)
        do {
            reading: while true {
                guard ContinuousClock.now < deadline else {
                    throw KafkaError(.timedOut, "restoring \(topicPartition): stopped short of offset \(marks.high)")
                }
                guard let event = try await iterator.next() else { break }
                guard case .message(let message) = event else { continue }
                deadline = ContinuousClock.now + .seconds(30)
                records.append(ChangelogRecord(message))
                if message.offset + 1 >= marks.high { break reading }
                if records.count % 1000 == 0 { remaining(marks.high - message.offset - 1) }
            }
        } catch {
            try? await consumer.close()
            throw error
        }
        try await consumer.close()
        return records
    }
}

extension KafkaChangelog: DecisionSink {
    public func publish(_ decisions: [DecisionRecord], owner: String) async {
        guard let auditTopic else { return }
        for decision in decisions {
            do {
                // Not awaited: the decision is in the worker's own file already, and no state waits for it.
                _ = try await producer.enqueue(
                    topic: auditTopic,
                    key: Array(decision.auditKey.utf8),
                    value: decision.auditValue(owner: owner)
                )
            } catch {
                logger.warning("a decision for \(decision.dedupKey) was not published to \(auditTopic): \(error)")
            }
        }
    }
}

extension ChangelogRecord {
    /// A record of the changelog topic as read: its entry, and the claim its headers name.
    public init(_ message: KafkaMessage) {
        self.init(
            offset: message.offset,
            entry: message.key.flatMap {
                ChangelogEntry(key: String(decoding: $0, as: UTF8.self), value: message.value)
            },
            epoch: message.header(ChangelogEntry.epochHeader).flatMap { Int64($0) } ?? 0,
            owner: message.header(KafkaChangelog.ownerHeader) ?? ""
        )
    }
}

public import Logging
import Synchronization

/// A Kafka consumer over librdkafka: group subscription or explicit assignment, explicit offset store and commit,
/// pause and resume of single partitions, rebalance events, orderly close.
///
/// Read it through ``events``, a pull-based `AsyncSequence`: each `next()` takes one message from librdkafka's
/// prefetch queue, whose bounds (``KafkaConsumerConfiguration/prefetchMessages``) are the only buffer.
///
/// At-least-once: automatic offset store is off. Call ``store(_:)`` with the next offset to read only once a
/// message has its final outcome; only stored offsets are ever committed.
public final class KafkaConsumer: Sendable {
    private let client: RDKafkaClient
    private let state = Mutex(StateMachine())
    private let pollLane: BlockingCall
    private let operationLane: BlockingCall
    /// Metadata requests of health checks, apart from commits so a slow answer never holds one up.
    private let metadataLane: BlockingCall
    /// Lag queries: one request per partition, apart from the health checks so a slow answer never delays them.
    private let lagLane: BlockingCall
    private let logger: Logger
    /// A message polled together with a rebalance event; handed out right after that event.
    private let pendingMessage = Mutex<KafkaMessage?>(nil)

    /// How long one blocking poll waits before checking for cancellation.
    static let pollSlice: Int32 = 100

    /// Creates a consumer. Nothing connects until ``subscribe(topics:)`` or ``assign(_:)``.
    /// - Throws: ``KafkaError`` when librdkafka refuses the configuration or is too old.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        try LibrdkafkaVersion.checkRuntime()
        self.logger = logger
        client = try RDKafkaClient(kind: .consumer, properties: configuration.librdkafkaProperties(), logger: logger)
        pollLane = BlockingCall(label: "ingestor.kafka.consumer.poll")
        operationLane = BlockingCall(label: "ingestor.kafka.consumer.ops")
        metadataLane = BlockingCall(label: "ingestor.kafka.consumer.metadata")
        lagLane = BlockingCall(label: "ingestor.kafka.consumer.lag")
    }

    /// Joins the consumer group and subscribes to `topics`; the group assigns partitions.
    public func subscribe(topics: [String]) throws {
        guard state.withLock({ $0.start() }) == .start else {
            throw KafkaError(.closed, "subscribe on a closed consumer")
        }
        try client.subscribe(topics)
    }

    /// Reads exactly these partitions from these offsets, outside group assignment (replay, tools, tests).
    public func assign(_ partitions: [KafkaTopicPartitionOffset]) throws {
        guard state.withLock({ $0.start() }) == .start else { throw KafkaError(.closed, "assign on a closed consumer") }
        try client.assign(partitions)
    }

    /// The sequence of messages and rebalance events.
    public var events: Events { Events(consumer: self, idleTicks: false) }

    /// The same events, plus ``KafkaConsumerEvent/idle`` after every poll slice that found nothing.
    public func events(idleTicks: Bool) -> Events { Events(consumer: self, idleTicks: idleTicks) }

    /// Stores offsets for the next commit. Each offset is the *next* one to read (last finished + 1).
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/state`` when a partition is no longer assigned.
    public func store(_ offsets: [KafkaTopicPartitionOffset]) throws {
        try ensureOpen()
        try client.storeOffsets(offsets)
    }

    /// Commits the stored offsets and waits for the broker's answer.
    public func commit() async throws {
        try ensureOpen()
        let client = client
        try await operationLane.run { try client.commitStoredSync() }
    }

    /// The group's committed offsets (next offset to read) for `partitions`.
    public func committed(
        _ partitions: [KafkaTopicPartition],
        timeout: Duration = .seconds(10)
    ) async throws
        -> [KafkaTopicPartitionOffset]
    {
        try ensureOpen()
        let client = client
        return try await operationLane.run {
            try client.committed(partitions, timeoutMilliseconds: Int32(timeout.milliseconds))
        }
    }

    /// Moves the fetch position of assigned partitions (each offset the next to read); records fetched from them
    /// and not yet handed out are dropped, so the next record of each is the one at its new position.
    public func seek(_ positions: [KafkaTopicPartitionOffset], timeout: Duration = .seconds(10)) async throws {
        try ensureOpen()
        let client = client
        try await operationLane.run {
            try client.seek(positions, timeoutMilliseconds: Int32(timeout.milliseconds))
        }
    }

    /// Stops fetching from `partitions` without leaving the group; no rebalance follows.
    public func pause(_ partitions: [KafkaTopicPartition]) throws {
        try ensureOpen()
        try client.pause(partitions)
    }

    /// Resumes fetching from paused `partitions`.
    public func resume(_ partitions: [KafkaTopicPartition]) throws {
        try ensureOpen()
        try client.resume(partitions)
    }

    /// The number of partitions of each of `topics` that exists, asked of the cluster over this consumer's own
    /// connections: an answer also says a broker is reachable.
    /// - Throws: ``KafkaError`` when no broker answered within `timeout`.
    public func partitionCounts(topics: [String], timeout: Duration = .seconds(5)) async throws -> [String: Int] {
        try ensureOpen()
        let client = client
        return try await metadataLane.run {
            try client.partitionCounts(topics: topics, timeoutMilliseconds: Int32(timeout.milliseconds))
        }
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws -> [KafkaTopicPartition] {
        try ensureOpen()
        return try client.assignment().sorted()
    }

    /// The low and high watermark (next offset to be written) of a partition.
    public func watermarks(
        _ partition: KafkaTopicPartition,
        timeout: Duration = .seconds(10)
    ) async throws -> (low: Int64, high: Int64) {
        try ensureOpen()
        let client = client
        return try await operationLane.run {
            try client.watermarks(partition, timeoutMilliseconds: Int32(timeout.milliseconds))
        }
    }

    /// How many records of each partition this consumer holds lie past the group's committed offset: the
    /// partition's high watermark (the next offset to be written) minus the committed offset, or minus where
    /// `auto.offset.reset` starts when the group has committed nothing there yet (the low watermark for
    /// `earliest`; nothing is behind for `latest`). A committed offset below the low watermark counts from the low
    /// watermark: retention deleted what lies before it.
    ///
    /// Asks the cluster: one request for the committed offsets and one per partition for its watermarks.
    /// - Parameter timeout: the bound of each request.
    /// - Throws: ``KafkaError`` when a request failed or timed out.
    public func lag(timeout: Duration = .seconds(5)) async throws -> [KafkaTopicPartition: Int64] {
        try ensureOpen()
        let client = client
        let milliseconds = Int32(timeout.milliseconds)
        return try await lagLane.run {
            let held = try client.assignment()
            guard !held.isEmpty else { return [:] }
            let startsAtEnd = ["latest", "largest", "end"].contains(client.property("auto.offset.reset") ?? "")
            var lag: [KafkaTopicPartition: Int64] = [:]
            for entry in try client.committed(held, timeoutMilliseconds: milliseconds) {
                let (low, high) = try client.watermarks(entry.topicPartition, timeoutMilliseconds: milliseconds)
                let from = entry.offset >= 0 ? max(entry.offset, low) : (startsAtEnd ? high : low)
                lag[entry.topicPartition] = max(0, high - from)
            }
            return lag
        }
    }

    /// Leaves the group and closes: revokes the assignment (committing stored offsets first), commits, and stops.
    /// Safe to call more than once; ends ``events``.
    public func close() async throws {
        guard state.withLock({ $0.close() }) == .close else { return }
        let client = client
        defer { state.withLock { $0.closed() } }
        try await pollLane.run {
            try client.commitStoredSync()
            try client.consumerClose()
        }
    }

    private func ensureOpen() throws {
        if state.withLock({ $0.operation() }) == .throwClosed { throw KafkaError(.closed, "the consumer is closed") }
    }

    /// Takes the next event: a pending rebalance event first, then a message.
    fileprivate func nextEvent(idleTicks: Bool) async throws -> KafkaConsumerEvent? {
        while true {
            switch state.withLock({ $0.next() }) {
            case .finish: return nil
            case .throwNotStarted: throw KafkaError(.illegalState, "subscribe or assign before reading events")
            case .poll: break
            }
            if let fatal = client.fatalError { throw fatal }
            if let event = takeRebalanceEvent() { return event }
            if Task.isCancelled { return nil }
            // Zero-timeout poll first: no thread hop when librdkafka already holds a message.
            var result = client.consumerPoll(timeoutMilliseconds: 0)
            if case .nothing = result {
                if let event = takeRebalanceEvent() { return event }
                let client = client
                result = try await pollLane.run { client.consumerPoll(timeoutMilliseconds: Self.pollSlice) }
            }
            switch result {
            case .message(let message):
                // A rebalance recorded during this poll happened before the message was handed out.
                if let event = takeRebalanceEvent() {
                    pendingMessage.withLock { $0 = message }
                    return event
                }
                return .message(message)
            case .error(let error):
                logger.warning("consumer: \(error.message)", metadata: ["kafka.error": "\(error.code.name)"])
            case .nothing:
                if idleTicks { return .idle }
                continue
            }
        }
    }

    private func takeRebalanceEvent() -> KafkaConsumerEvent? {
        if let event = client.context.rebalanceEvents.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            return event
        }
        if let message = pendingMessage.withLock({ value in
            defer { value = nil }
            return value
        }) {
            return .message(message)
        }
        return nil
    }
}

extension KafkaConsumer {
    /// The consumer's events as an `AsyncSequence`. Ends when the consumer closes or the task is cancelled.
    public struct Events: AsyncSequence, Sendable {
        public typealias Element = KafkaConsumerEvent
        let consumer: KafkaConsumer
        let idleTicks: Bool

        public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer, idleTicks: idleTicks) }

        /// Iterates ``Events``.
        public struct Iterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer
            let idleTicks: Bool

            public mutating func next() async throws -> KafkaConsumerEvent? {
                try await consumer.nextEvent(idleTicks: idleTicks)
            }
        }
    }
}

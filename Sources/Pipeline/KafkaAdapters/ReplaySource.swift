public import KafkaIO
import Synchronization

/// The dead-letter topic as a ``MessageSource`` for replay: explicit assignment from the replay group's progress,
/// up to the end offsets at the start (letters that fail again land past them and wait for the next replay),
/// filtered, with parked letters and letters cut to fit the topic (their message is not whole) left alone. Into
/// the pipeline, it ends once every letter it handed out has an outcome (so the runner's drain never cuts a retry
/// short).
public final class ReplaySource: MessageSource {
    let consumer: KafkaConsumer
    private let ends: [KafkaTopicPartition: Int64]
    private let filter: DeadLetterFilter
    private let maxReplays: Int
    private let includeParked: Bool
    private let limit: Int?
    private let commits: Bool
    private let waitsForOutcomes: Bool
    private let leaveAlone: (@Sendable (DeadLetterRecord) -> String?)?
    /// Partitions read to their end.
    private let fullyRead = Mutex<Set<KafkaTopicPartition>>([])
    /// What the replay did so far.
    public let tracker: ReplayTracker

    /// A source over `consumer`, already assigned at the replay's start offsets.
    /// - Parameters:
    ///   - ends: the end offset of each partition still to read (partitions already at their end left out).
    ///   - commits: `false` for a dry run: progress is never stored.
    ///   - waitsForOutcomes: end only once every letter handed out has its outcome (replay into the pipeline).
    ///   - leaveAlone: why a letter must not be replayed this way, if it must not (it is then skipped and named).
    public init(
        consumer: KafkaConsumer,
        ends: [KafkaTopicPartition: Int64],
        filter: DeadLetterFilter,
        maxReplays: Int,
        includeParked: Bool,
        limit: Int?,
        commits: Bool,
        waitsForOutcomes: Bool,
        leaveAlone: (@Sendable (DeadLetterRecord) -> String?)? = nil,
        tracker: ReplayTracker
    ) {
        self.waitsForOutcomes = waitsForOutcomes
        self.leaveAlone = leaveAlone
        self.consumer = consumer
        self.ends = ends
        self.filter = filter
        self.maxReplays = maxReplays
        self.includeParked = includeParked
        self.limit = limit
        self.commits = commits
        self.tracker = tracker
    }

    public var events: Events { Events(source: self) }

    /// The next letter to replay, `nil` at the end; skipped records are counted on the way.
    fileprivate func next(
        _ base: inout KafkaConsumer.Events.Iterator,
        remaining: inout [KafkaTopicPartition: Int64],
        fed: inout Int
    ) async throws -> SourceEvent? {
        while !remaining.isEmpty, fed < (limit ?? Int.max) {
            guard let event = try await base.next() else { return nil }
            switch event {
            case .idle: return .idle
            case .partitionsAssigned, .partitionsRevoked: continue
            case .message(let message):
                guard let end = remaining[message.topicPartition], message.offset < end else { continue }
                if message.offset + 1 >= end {
                    remaining[message.topicPartition] = nil
                    fullyRead.withLock { _ = $0.insert(message.topicPartition) }
                }
                tracker.read()
                let record = DeadLetterRecord(message)
                if !record.isDeadLetter {
                    tracker.foreign()
                } else if !filter.matches(record) {
                    tracker.skipped()
                } else if record.isIncomplete {
                    // Feeding a cut value would process a message that never arrived: the whole one is in its
                    // source topic, where the letter points.
                    tracker.incomplete(record)
                } else if !includeParked, record.replayCount >= maxReplays {
                    tracker.parked()
                } else if let reason = leaveAlone?(record) {
                    tracker.leftAlone(record, because: reason)
                } else {
                    fed += 1
                    tracker.fed(record)
                    return .message(record.replayMessage)
                }
            }
        }
        // Everything handed out must have its outcome before the source ends (the runner then commits and closes).
        if waitsForOutcomes {
            while tracker.unsettled > 0 { try await Task.sleep(for: .milliseconds(20)) }
            try storeFullyRead()
        }
        return nil
    }

    /// Moves the progress of every partition read to its end past the letters left alone at its tail (filtered out,
    /// parked), so the next run does not read them again. Only once every letter handed out has its outcome.
    public func storeFullyRead() throws {
        guard tracker.progress.abandoned == 0, tracker.unsettled == 0 else { return }
        let done = fullyRead.withLock { $0 }
        try store(
            done.compactMap { partition in
                ends[partition].map { MessagePosition(partition: PartitionID(partition), offset: $0) }
            }
        )
    }

    public func store(_ positions: [MessagePosition]) throws {
        guard commits else { return }
        try consumer.store(positions)
    }

    public func commit() async throws {
        guard commits else { return }
        try await consumer.commit()
    }

    /// Not passed on: the replay's consumer joins no group, so no poll interval can evict it while its letters wait,
    /// and librdkafka's prefetch bound caps what it holds meanwhile. Pausing an explicitly assigned partition soon
    /// after its assignment can lose the assigned offset in librdkafka 2.0 (librdkafka issues #2190, #5591: it then
    /// reads from `auto.offset.reset`, or never again), so a replay, which has no need to pause, does not.
    public func pause(_ partitions: [PartitionID]) throws {}

    /// Not passed on: see ``pause(_:)``.
    public func resume(_ partitions: [PartitionID]) throws {}

    public func close() async throws { try await consumer.close() }

    /// The letters as ``SourceEvent``s.
    public struct Events: AsyncSequence, Sendable {
        let source: ReplaySource

        public func makeAsyncIterator() -> Iterator {
            Iterator(
                source: source,
                base: source.consumer.events(idleTicks: true).makeAsyncIterator(),
                remaining: source.ends
            )
        }

        /// Iterates ``Events``.
        public struct Iterator: AsyncIteratorProtocol {
            let source: ReplaySource
            var base: KafkaConsumer.Events.Iterator
            var remaining: [KafkaTopicPartition: Int64]
            var fed = 0

            public mutating func next() async throws -> SourceEvent? {
                try await source.next(&base, remaining: &remaining, fed: &fed)
            }
        }
    }
}

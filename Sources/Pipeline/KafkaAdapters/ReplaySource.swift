public import KafkaIO
public import Normalizer
import Synchronization

/// Counts what a replay did, as it happens; it is also the runner's observer.
public final class ReplayTracker: PipelineObserver {
    private struct State {
        var progress = ReplayProgress()
        /// Decisions per letter still in flight, for dry-run lines.
        var decisions: [MessagePosition: [String]] = [:]
        var keys: [MessagePosition: String] = [:]
        var reasons: [MessagePosition: String] = [:]
    }

    private let state: Mutex<State>
    private let started = ContinuousClock.now
    /// Called with one line per finished letter (dry runs print them).
    private let line: (@Sendable (String) -> Void)?

    /// Starts counting a replay of `total` records; `line` gets one line per finished letter (dry runs).
    public init(total: Int, line: (@Sendable (String) -> Void)?) {
        var initial = State()
        initial.progress.total = total
        state = Mutex(initial)
        self.line = line
    }

    /// The counts so far.
    public var progress: ReplayProgress {
        var progress = state.withLock { $0.progress }
        progress.elapsed = ContinuousClock.now - started
        return progress
    }

    func read() { state.withLock { $0.progress.read += 1 } }
    func skipped() { state.withLock { $0.progress.skipped += 1 } }
    func parked() { state.withLock { $0.progress.parked += 1 } }
    func foreign() { state.withLock { $0.progress.foreign += 1 } }

    func fed(_ record: DeadLetterRecord) {
        state.withLock { state in
            state.progress.fed += 1
            guard line != nil else { return }
            let position = MessagePosition(
                partition: PartitionID(record.message.topicPartition),
                offset: record.message.offset
            )
            state.keys[position] = record.dedupKey ?? record.keyText ?? "-"
            state.reasons[position] = record.reason
        }
    }

    /// Letters fed and not finished yet.
    public var unsettled: Int { state.withLock { $0.progress.fed - $0.progress.finished } }

    public func decided(_ decision: Correlator.Decision, for event: NormalizedEvent, of position: MessagePosition) {
        state.withLock { state in
            state.progress.decisions[decision.name, default: 0] += 1
            if line != nil { state.decisions[position, default: []].append(decision.name) }
        }
    }

    public func finished(_ message: SourceMessage, outcome: MessageOutcome) {
        let text: String? = state.withLock { state in
            switch outcome {
            case .completed: state.progress.completed += 1
            case .deadLettered(let letter):
                state.progress.failedAgain += 1
                if letter.isParked { state.progress.parkedNow += 1 }
            case .abandoned: state.progress.abandoned += 1
            }
            guard line != nil else { return nil }
            let position = message.position
            let decisions = state.decisions.removeValue(forKey: position) ?? []
            let key = state.keys.removeValue(forKey: position) ?? "-"
            let reason = state.reasons.removeValue(forKey: position) ?? "-"
            var result = decisions.isEmpty ? "nothing to do" : decisions.joined(separator: ", ")
            switch outcome {
            case .deadLettered(let letter):
                result = decisions.isEmpty ? "reject (\(letter.reason))" : result + " → fails: \(letter.reason)"
            case .abandoned: result += " (interrupted)"
            case .completed: break
            }
            return "\(position.partition.partition):\(position.offset)  \(reason)  \(key)  → \(result)"
        }
        if let text { line?(text) }
    }
}

/// What a replay has done so far.
public struct ReplayProgress: Sendable, Hashable {
    /// Records between the start and end offsets: what this replay reads.
    public var total = 0
    /// Records read so far.
    public var read = 0
    /// Letters fed through the pipeline (or onto `--to-topic`).
    public var fed = 0
    /// Letters the filters left out.
    public var skipped = 0
    /// Letters left alone because they failed `dead_letter.max_replays` replays already.
    public var parked = 0
    /// Records without dead-letter headers, left alone.
    public var foreign = 0
    /// Fed letters whose events were all delivered, suppressed or ignored.
    public var completed = 0
    /// Fed letters that failed again and went back to the dead-letter topic.
    public var failedAgain = 0
    /// Of those, letters that reached the replay limit with this failure (parked from now on).
    public var parkedNow = 0
    /// Fed letters interrupted by a shutdown (replayed again next time).
    public var abandoned = 0
    /// Decisions by name: create, update, resolve, comment, reopen, suppress, ignore, stale, fold.
    public var decisions: [String: Int] = [:]
    /// Time since the replay started.
    public var elapsed: Duration = .zero

    /// Fed letters with an outcome.
    public var finished: Int { completed + failedAgain + abandoned }

    /// Records dealt with: finished, or left out.
    public var done: Int { finished + skipped + parked + foreign }

    /// The estimated time left, once there is something to go by.
    public var remaining: Duration? {
        guard done > 0, total > done else { return nil }
        return elapsed * (Double(total - done) / Double(done))
    }

    /// Decisions as `create=3 suppress=2`, most frequent first.
    public var decisionSummary: String {
        decisions.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key)=\($0.value)" }
            .joined(separator: " ")
    }
}

/// The dead-letter topic as a ``MessageSource`` for replay: explicit assignment from the replay group's progress,
/// up to the end offsets at the start (letters that fail again land past them and wait for the next replay),
/// filtered, with parked letters left alone. Into the pipeline, it ends once every letter it handed out has an
/// outcome (so the runner's drain never cuts a retry short).
public final class ReplaySource: MessageSource {
    let consumer: KafkaConsumer
    private let ends: [KafkaTopicPartition: Int64]
    private let filter: DeadLetterFilter
    private let maxReplays: Int
    private let includeParked: Bool
    private let limit: Int?
    private let commits: Bool
    private let waitsForOutcomes: Bool
    /// Partitions read to their end.
    private let fullyRead = Mutex<Set<KafkaTopicPartition>>([])
    /// What the replay did so far.
    public let tracker: ReplayTracker

    /// A source over `consumer`, already assigned at the replay's start offsets.
    /// - Parameters:
    ///   - ends: the end offset of each partition still to read (partitions already at their end left out).
    ///   - commits: `false` for a dry run: progress is never stored.
    ///   - waitsForOutcomes: end only once every letter handed out has its outcome (replay into the pipeline).
    public init(
        consumer: KafkaConsumer,
        ends: [KafkaTopicPartition: Int64],
        filter: DeadLetterFilter,
        maxReplays: Int,
        includeParked: Bool,
        limit: Int?,
        commits: Bool,
        waitsForOutcomes: Bool,
        tracker: ReplayTracker
    ) {
        self.waitsForOutcomes = waitsForOutcomes
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
                } else if !includeParked, record.replayCount >= maxReplays {
                    tracker.parked()
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

    public func pause(_ partitions: [PartitionID]) throws { try consumer.pause(partitions) }

    public func resume(_ partitions: [PartitionID]) throws { try consumer.resume(partitions) }

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

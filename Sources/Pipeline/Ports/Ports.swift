public import Normalizer

/// Where the pipeline reads messages from and records progress (Kafka through ``KafkaMessageSource``).
public protocol MessageSource: Sendable {
    /// The event sequence type.
    associatedtype Events: AsyncSequence, Sendable where Events.Element == SourceEvent

    /// Messages and assignment changes, in order, with ``SourceEvent/idle`` now and then when nothing arrives (at
    /// least while partitions are paused). Ends when the source closes or the task is cancelled.
    var events: Events { get }

    /// Records progress: each position is the *next* offset to read in its partition.
    func store(_ positions: [MessagePosition]) throws

    /// Commits stored progress and waits for the answer.
    func commit() async throws

    /// Stops delivering messages from `partitions` without giving them up.
    func pause(_ partitions: [PartitionID]) throws

    /// Resumes delivering messages from `partitions`.
    func resume(_ partitions: [PartitionID]) throws

    /// Commits and closes the source.
    func close() async throws

    /// Moves where `positions`' partitions are read from next (each the next offset to read).
    func seek(_ positions: [MessagePosition]) async throws
}

extension MessageSource {
    /// Sources that cannot seek ignore it.
    public func seek(_ positions: [MessagePosition]) async throws {}
}

/// Told when the source's partitions change hands, for state owned by partition (``PartitionedStateStore``).
public protocol PartitionOwnership: Sendable {
    /// Takes `partitions` before any of their messages is read.
    /// - Returns: where to start reading each (the offset its restored state reflects); partitions left out start
    ///   at the group's committed offset.
    func assigned(_ partitions: [PartitionID]) async -> [PartitionID: Int64]

    /// Gives `partitions` up; their in-flight work may still be finishing.
    func revoked(_ partitions: [PartitionID]) async
}

/// Where dead letters go (a Kafka topic through ``KafkaDeadLetterSink``).
public protocol DeadLetterSink: Sendable {
    /// The destination's name, for logs and the summary (the topic).
    var destination: String { get }

    /// Publishes one letter and returns once it is durably stored (the broker acknowledged it).
    func publish(_ letter: DeadLetter) async throws

    /// Hands one letter over now and returns what waits for its acknowledgement: letters handed over one after the
    /// other are stored in that order (a key's firing letter before its resolved one), while their
    /// acknowledgements are awaited concurrently.
    func send(_ letter: DeadLetter) async throws -> SinkReceipt
}

extension DeadLetterSink {
    /// Publishes and returns an acknowledged receipt: in order, one at a time.
    public func send(_ letter: DeadLetter) async throws -> SinkReceipt {
        try await publish(letter)
        return SinkReceipt {}
    }
}

/// Waits for one record's acknowledgement (a dead letter, an event).
public struct SinkReceipt: Sendable {
    private let wait: @Sendable () async throws -> Void

    /// Creates a receipt that waits with `wait`.
    public init(_ wait: @escaping @Sendable () async throws -> Void) {
        self.wait = wait
    }

    /// Returns once the record is durably stored; await it once.
    /// - Throws: when it was not.
    public func acknowledged() async throws {
        try await wait()
    }
}

/// The time source the pipeline reads; injected so tests control it.
public protocol PipelineClock: Sendable {
    /// The current wall-clock time.
    func now() -> Timestamp
    /// Suspends for `duration`.
    func sleep(for duration: Duration) async throws
}

/// A source of uniform random numbers in 0..<1, injected so tests are repeatable.
public protocol RandomSource: Sendable {
    /// The next value in 0..<1.
    func nextUnit() -> Double
}

/// The real clock.
public struct SystemPipelineClock: PipelineClock {
    /// Creates the clock.
    public init() {}

    public func now() -> Timestamp { Timestamp.now }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// The system's random number generator.
public struct SystemRandomSource: RandomSource {
    /// Creates the source.
    public init() {}

    public func nextUnit() -> Double { Double.random(in: 0..<1) }
}

/// Watches what happens to each message, for tools that report per message (replay's progress and summary, its
/// dry run). The worker runs without one.
public protocol PipelineObserver: Sendable {
    /// The correlator decided `decision` for an event of the message at `position`.
    func decided(_ decision: Correlator.Decision, for event: NormalizedEvent, of position: MessagePosition)
    /// A message reached its final outcome (or was left for redelivery by a shutdown).
    func finished(_ message: SourceMessage, outcome: MessageOutcome)
}

/// How a message left the pipeline.
public enum MessageOutcome: Sendable {
    /// Every event was delivered, suppressed or ignored; its offset may move.
    case completed
    /// It was dead-lettered (the broker acknowledged the letter); its offset may move.
    case deadLettered(DeadLetter)
    /// Shutdown interrupted it; it is left for redelivery.
    case abandoned
}

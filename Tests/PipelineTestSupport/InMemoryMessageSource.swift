public import Pipeline
import Synchronization

/// A message source over a fixed list of events; records stored offsets, commits, pauses and resumes.
///
/// Like a Kafka consumer, it hands out nothing from a paused partition (a scripted message for a paused partition
/// waits, and with it everything after it) and yields ``SourceEvent/idle`` while it has nothing to hand out. After
/// the list it either ends (`endsAfterEvents`) or yields idle events until cancelled.
public final class InMemoryMessageSource: MessageSource {
    private struct State {
        var stored: [MessagePosition] = []
        var commits = 0
        var closed = false
        var paused: Set<PartitionID> = []
        var pauseCalls = 0
        var resumeCalls = 0
        var handedOut = 0
    }

    private let script: [SourceEvent]
    private let endsAfterEvents: Bool
    private let state = Mutex(State())

    /// Creates a source.
    public init(_ events: [SourceEvent], endsAfterEvents: Bool = false) {
        script = events
        self.endsAfterEvents = endsAfterEvents
    }

    public var events: Events { Events(source: self) }

    public func store(_ positions: [MessagePosition]) throws {
        state.withLock { $0.stored.append(contentsOf: positions) }
    }

    public func commit() async throws { state.withLock { $0.commits += 1 } }

    public func pause(_ partitions: [PartitionID]) throws {
        state.withLock {
            $0.paused.formUnion(partitions)
            $0.pauseCalls += 1
        }
    }

    public func resume(_ partitions: [PartitionID]) throws {
        state.withLock {
            $0.paused.subtract(partitions)
            $0.resumeCalls += 1
        }
    }

    public func close() async throws { state.withLock { $0.closed = true } }

    /// Every stored position, in order.
    public var stored: [MessagePosition] { state.withLock { $0.stored } }
    /// The highest stored position per partition.
    public var committable: [PartitionID: Int64] {
        stored.reduce(into: [:]) { $0[$1.partition] = max($0[$1.partition] ?? 0, $1.offset) }
    }
    /// Whether `close()` was called.
    public var isClosed: Bool { state.withLock { $0.closed } }
    /// Commits made.
    public var commits: Int { state.withLock { $0.commits } }
    /// Partitions paused now.
    public var paused: Set<PartitionID> { state.withLock { $0.paused } }
    /// `pause` calls so far.
    public var pauseCalls: Int { state.withLock { $0.pauseCalls } }
    /// `resume` calls so far.
    public var resumeCalls: Int { state.withLock { $0.resumeCalls } }
    /// Scripted events handed out so far.
    public var handedOut: Int { state.withLock { $0.handedOut } }

    /// Takes the next scripted event unless it is a message of a paused partition.
    fileprivate func take() -> (event: SourceEvent?, exhausted: Bool) {
        state.withLock { state in
            guard state.handedOut < script.count else { return (nil, true) }
            let event = script[state.handedOut]
            if case .message(let message) = event, state.paused.contains(message.position.partition) {
                return (nil, false)
            }
            state.handedOut += 1
            return (event, false)
        }
    }

    /// The scripted events.
    public struct Events: AsyncSequence, Sendable {
        let source: InMemoryMessageSource

        public func makeAsyncIterator() -> Iterator { Iterator(source: source) }

        /// Iterates ``Events``.
        public struct Iterator: AsyncIteratorProtocol {
            let source: InMemoryMessageSource

            public mutating func next() async throws -> SourceEvent? {
                let (event, exhausted) = source.take()
                if let event { return event }
                if exhausted, source.endsAfterEvents { return nil }
                if Task.isCancelled { return nil }
                try? await Task.sleep(for: .milliseconds(2))
                return Task.isCancelled ? nil : .idle
            }
        }
    }
}

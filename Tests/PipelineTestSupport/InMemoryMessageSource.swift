public import Pipeline
import Synchronization

/// A message source over a fixed list of events; records stored offsets and commits.
///
/// After the list it either ends (`endsAfterEvents`) or waits until cancelled, like a consumer with no new messages.
public final class InMemoryMessageSource: MessageSource {
    private let script: [SourceEvent]
    private let endsAfterEvents: Bool
    private let recorded = Mutex<(stored: [MessagePosition], commits: Int, closed: Bool)>(([], 0, false))

    /// Creates a source.
    public init(_ events: [SourceEvent], endsAfterEvents: Bool = false) {
        script = events
        self.endsAfterEvents = endsAfterEvents
    }

    public var events: Events { Events(script: script, endsAfterEvents: endsAfterEvents) }

    public func store(_ positions: [MessagePosition]) throws {
        recorded.withLock { $0.stored.append(contentsOf: positions) }
    }

    public func commit() async throws { recorded.withLock { $0.commits += 1 } }
    public func pause(_ partitions: [PartitionID]) throws {}
    public func resume(_ partitions: [PartitionID]) throws {}
    public func close() async throws { recorded.withLock { $0.closed = true } }

    /// Every stored position, in order.
    public var stored: [MessagePosition] { recorded.withLock { $0.stored } }
    /// The highest stored position per partition.
    public var committable: [PartitionID: Int64] {
        stored.reduce(into: [:]) { $0[$1.partition] = max($0[$1.partition] ?? 0, $1.offset) }
    }
    /// Whether `close()` was called.
    public var isClosed: Bool { recorded.withLock { $0.closed } }
    /// Commits made.
    public var commits: Int { recorded.withLock { $0.commits } }

    /// The scripted events.
    public struct Events: AsyncSequence, Sendable {
        let script: [SourceEvent]
        let endsAfterEvents: Bool

        public func makeAsyncIterator() -> Iterator { Iterator(script: script, endsAfterEvents: endsAfterEvents) }

        /// Iterates ``Events``.
        public struct Iterator: AsyncIteratorProtocol {
            var script: [SourceEvent]
            var position = 0
            let endsAfterEvents: Bool

            init(script: [SourceEvent], endsAfterEvents: Bool) {
                self.script = script
                self.endsAfterEvents = endsAfterEvents
            }

            public mutating func next() async throws -> SourceEvent? {
                if position < script.count {
                    defer { position += 1 }
                    return script[position]
                }
                if endsAfterEvents { return nil }
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                return nil
            }
        }
    }
}

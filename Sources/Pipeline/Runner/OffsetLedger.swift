import DequeModule
import Normalizer

/// Decides which offsets may be committed: a message's offset becomes committable only when it has a final
/// outcome, and with parallel work only up to the highest *contiguous* finished offset per partition.
///
/// A crash therefore leads to redelivery of unfinished messages, never to a gap. Pure; the runner guards it.
struct OffsetLedger: Sendable {
    private struct Partition: Sendable {
        var generation: Int
        /// Begun offsets in order, with when each was begun.
        var pending: Deque<(offset: Int64, since: Timestamp?)> = []
        var finished: Set<Int64> = []
    }

    /// The oldest unfinished message of a partition: what holds its committed offset back.
    struct Oldest: Sendable, Hashable {
        /// Where it is.
        var position: MessagePosition
        /// When it was begun, if told.
        var since: Timestamp?
    }

    private var partitions: [PartitionID: Partition] = [:]
    private var nextGeneration = 0

    /// Starts tracking a partition (on assignment), returning its generation. Restarting tracking of a
    /// partition forgets what an earlier assignment left in flight.
    @discardableResult
    mutating func track(_ partition: PartitionID) -> Int {
        nextGeneration += 1
        partitions[partition] = Partition(generation: nextGeneration)
        return nextGeneration
    }

    /// Stops tracking partitions (on revocation); later finishes for them are ignored.
    mutating func forget(_ revoked: [PartitionID]) {
        for partition in revoked { partitions[partition] = nil }
    }

    /// The current generation of a partition, tracking it if needed (explicit assignment has no events).
    mutating func generation(of partition: PartitionID) -> Int {
        partitions[partition]?.generation ?? track(partition)
    }

    /// Records that a message was taken for processing, and returns the generation it was begun under.
    ///
    /// Offsets arrive in increasing order per partition, except when the consumer goes back: a seek, an offset reset,
    /// or librdkafka fetching again from an older position after a pause or a rebalance it did not report (seen
    /// after a worker stood still past its session timeout). The partition's tracking then starts over with a new
    /// generation, as at a reassignment: what was in flight no longer moves its committed offset, and the messages
    /// after this one are read again (a redelivery, never a gap).
    /// - Parameter since: when, for ``oldestUnfinished``.
    /// - Returns: `generation`, or the partition's new one when the offset went back.
    @discardableResult
    mutating func begin(_ position: MessagePosition, generation: Int, since: Timestamp? = nil) -> Int {
        guard let state = partitions[position.partition], state.generation == generation else { return generation }
        var current = generation
        if let last = state.pending.last?.offset, position.offset <= last {
            current = track(position.partition)
        }
        partitions[position.partition]!.pending.append((position.offset, since))
        return current
    }

    /// Records a final outcome.
    /// - Returns: the new committable position (the next offset to read) when it advanced, else `nil`.
    mutating func finish(_ position: MessagePosition, generation: Int) -> MessagePosition? {
        guard var state = partitions[position.partition], state.generation == generation else { return nil }
        state.finished.insert(position.offset)
        var advanced: Int64?
        while let first = state.pending.first, state.finished.remove(first.offset) != nil {
            state.pending.removeFirst()
            advanced = first.offset + 1
        }
        partitions[position.partition] = state
        return advanced.map { MessagePosition(partition: position.partition, offset: $0) }
    }

    /// The oldest unfinished message of each partition that has one.
    var oldestUnfinished: [Oldest] {
        partitions.compactMap { partition, state in
            state.pending.first.map {
                Oldest(position: MessagePosition(partition: partition, offset: $0.offset), since: $0.since)
            }
        }
    }

    /// Messages begun and not finished, across partitions.
    var inFlight: Int {
        partitions.values.reduce(0) { $0 + $1.pending.count }
    }
}

/// How one message was begun in the ledger: what finishing it needs.
struct OffsetTicket: Sendable, Hashable {
    /// Where the message is.
    var position: MessagePosition
    /// The partition's generation when it was begun (a finish after a revoke is ignored).
    var generation: Int
}

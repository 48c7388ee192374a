import DequeModule

/// Decides which offsets may be committed: a message's offset becomes committable only when it has a final
/// outcome, and with parallel work only up to the highest *contiguous* finished offset per partition.
///
/// A crash therefore leads to redelivery of unfinished messages, never to a gap. Pure; the runner guards it.
struct OffsetLedger: Sendable {
    private struct Partition: Sendable {
        var generation: Int
        var pending: Deque<Int64> = []
        var finished: Set<Int64> = []
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

    /// Records that a message was taken for processing. Offsets must arrive in increasing order per partition.
    mutating func begin(_ position: MessagePosition, generation: Int) {
        guard partitions[position.partition]?.generation == generation else { return }
        precondition(
            partitions[position.partition]!.pending.last.map { $0 < position.offset } ?? true,
            "offsets must increase within a partition"
        )
        partitions[position.partition]!.pending.append(position.offset)
    }

    /// Records a final outcome.
    /// - Returns: the new committable position (the next offset to read) when it advanced, else `nil`.
    mutating func finish(_ position: MessagePosition, generation: Int) -> MessagePosition? {
        guard var state = partitions[position.partition], state.generation == generation else { return nil }
        state.finished.insert(position.offset)
        var advanced: Int64?
        while let first = state.pending.first, state.finished.remove(first) != nil {
            state.pending.removeFirst()
            advanced = first + 1
        }
        partitions[position.partition] = state
        return advanced.map { MessagePosition(partition: position.partition, offset: $0) }
    }

    /// Messages begun and not finished, across partitions.
    var inFlight: Int {
        partitions.values.reduce(0) { $0 + $1.pending.count }
    }
}

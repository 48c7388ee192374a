import Normalizer
import Synchronization

/// Writes one owned partition's state changes: each entry goes to the changelog, and only once the broker
/// acknowledged it is it applied to the local state file and the writer told. Entries are handed over and applied
/// in order, their acknowledgements awaited concurrently; the entries whose acknowledgements are in when the file is
/// next written go in one transaction, with the audit-trail entries that came with them.
///
/// The file's checkpoint moves with them only while they follow each other in the changelog: a record of someone
/// else in between (an owner that claimed the partition meanwhile) stops it, so a later restore reads from the last
/// point this worker had seen everything up to, and applies whatever came after in order.
final class ChangelogPartition: Sendable {
    /// The partition no longer belongs to this worker: the change was not made.
    struct NotOwned: Error, CustomStringConvertible {
        var partition: Int32
        var description: String { "partition \(partition) of the events topic is no longer this worker's" }
    }

    private struct Item: Sendable {
        var entry: ChangelogEntry
        var decisions: [DecisionRecord]
        var done: CheckedContinuation<Void, any Error>
    }

    private struct Handed: Sendable {
        var item: Item
        var receipt: ChangelogReceipt
    }

    private final class Waiting: Sendable {
        let entries = Mutex<[Handed]>([])
    }

    /// The partition.
    let partition: Int32
    /// This worker's claim on it.
    let epoch: Int64
    let owner: String
    private let sink: any ChangelogSink
    private let cache: SQLiteIncidentStateStore
    private let input: AsyncStream<Item>.Continuation
    private let tasks: Mutex<[Task<Void, Never>]> = Mutex([])

    /// - Parameter next: the changelog offset the partition's next record would have if no one else writes.
    init(
        partition: Int32,
        epoch: Int64,
        owner: String,
        next: Int64,
        sink: any ChangelogSink,
        cache: SQLiteIncidentStateStore
    ) {
        self.partition = partition
        self.epoch = epoch
        self.owner = owner
        self.sink = sink
        self.cache = cache
        let (items, input) = AsyncStream.makeStream(of: Item.self)
        self.input = input
        // Handed-over entries wait here in order; the apply task is woken (at most one wake-up pending) and takes
        // every entry waiting at that moment.
        let waiting = Waiting()
        let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let hand = Task { [sink] in
            for await item in items {
                do {
                    let receipt = try await sink.send(item.entry, partition: partition, epoch: epoch, owner: owner)
                    waiting.entries.withLock { $0.append(Handed(item: item, receipt: receipt)) }
                    wake.yield()
                } catch {
                    item.done.resume(throwing: error)
                }
            }
            wake.finish()
        }
        let apply = Task { [cache] in
            var expected: Int64? = next
            for await _ in wakeUps {
                while true {
                    let batch = waiting.entries.withLock { waiting in
                        defer { waiting = [] }
                        return waiting
                    }
                    guard !batch.isEmpty else { break }
                    await Self.apply(batch, expected: &expected, partition: partition, cache: cache)
                }
            }
        }
        tasks.withLock { $0 = [hand, apply] }
    }

    /// Waits for `batch`'s acknowledgements in order, then applies the acknowledged entries to the file: those that
    /// follow the checkpoint without a gap with it moving, any after a gap without, each run in one transaction.
    private static func apply(
        _ batch: [Handed],
        expected: inout Int64?,
        partition: Int32,
        cache: SQLiteIncidentStateStore
    ) async {
        var runs: [(inOrder: Bool, items: [(offset: Int64, item: Item)])] = []
        for handed in batch {
            do {
                let offset = try await handed.receipt.offset()
                let inOrder = offset == expected
                expected = inOrder ? offset + 1 : nil
                if runs.last?.inOrder == inOrder {
                    runs[runs.count - 1].items.append((offset, handed.item))
                } else {
                    runs.append((inOrder, [(offset, handed.item)]))
                }
            } catch {
                handed.item.done.resume(throwing: error)
            }
        }
        for run in runs {
            do {
                try await cache.apply(
                    run.items.map { ($0.offset, $0.item.entry) },
                    partition: partition,
                    checkpoint: run.inOrder,
                    decisions: run.items.flatMap(\.item.decisions)
                )
                for (_, item) in run.items { item.done.resume() }
            } catch {
                for (_, item) in run.items { item.done.resume(throwing: error) }
            }
        }
    }

    /// Writes `entry` (and `decisions` to the audit trail with it) and returns once it is in the changelog and the
    /// local file.
    /// - Throws: ``NotOwned`` after ``close()``; the changelog's or the file's error.
    func write(_ entry: ChangelogEntry, decisions: [DecisionRecord] = []) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            if case .terminated = input.yield(Item(entry: entry, decisions: decisions, done: done)) {
                done.resume(throwing: NotOwned(partition: partition))
            }
        }
    }

    /// Stops taking entries; waits until those handed over are written (or failed).
    func close() async {
        input.finish()
        for task in tasks.withLock({ $0 }) { await task.value }
    }
}

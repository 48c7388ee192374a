import Normalizer
import Synchronization

/// Writes one owned partition's state changes: each entry goes to the changelog, and only once the broker
/// acknowledged it is it applied to the local state file and the writer told. Entries are handed over and applied
/// in order, their acknowledgements awaited concurrently.
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
        var done: CheckedContinuation<Void, any Error>
    }

    private struct Handed: Sendable {
        var item: Item
        var receipt: ChangelogReceipt
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
        let (handed, handing) = AsyncStream.makeStream(of: Handed.self)
        let hand = Task { [sink] in
            for await item in items {
                do {
                    let receipt = try await sink.send(item.entry, partition: partition, epoch: epoch, owner: owner)
                    handing.yield(Handed(item: item, receipt: receipt))
                } catch {
                    item.done.resume(throwing: error)
                }
            }
            handing.finish()
        }
        let apply = Task { [cache] in
            var expected: Int64? = next
            for await handed in handed {
                do {
                    let offset = try await handed.receipt.offset()
                    let inOrder = offset == expected
                    expected = inOrder ? offset + 1 : nil
                    try await cache.apply([(offset, handed.item.entry)], partition: partition, checkpoint: inOrder)
                    handed.item.done.resume()
                } catch {
                    handed.item.done.resume(throwing: error)
                }
            }
        }
        tasks.withLock { $0 = [hand, apply] }
    }

    /// Writes `entry` and returns once it is in the changelog and the local file.
    /// - Throws: ``NotOwned`` after ``close()``; the changelog's or the file's error.
    func write(_ entry: ChangelogEntry) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            if case .terminated = input.yield(Item(entry: entry, done: done)) {
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

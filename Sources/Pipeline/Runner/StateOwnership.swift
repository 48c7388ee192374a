import Logging
import Normalizer
import Synchronization

/// The delivery stage's side of a rebalance: on assignment each events partition's state is restored (and its
/// interrupted creates settled) before any of its events is read, and reading starts where that state left off;
/// on revocation the partition's state is given up. The target's rate and the storm guard's limit are shared out
/// by partitions owned.
final class StateOwnership: PartitionOwnership {
    private let store: PartitionedStateStore
    private let intents: IntentSettler
    private let gate: TargetGate
    private let stormGuard: StormGuard?
    private let instruments: PipelineInstruments
    private let logger: Logger
    private let restoring = Mutex(0)

    init(
        store: PartitionedStateStore,
        intents: IntentSettler,
        gate: TargetGate,
        stormGuard: StormGuard?,
        instruments: PipelineInstruments,
        logger: Logger
    ) {
        self.stormGuard = stormGuard
        self.store = store
        self.intents = intents
        self.gate = gate
        self.instruments = instruments
        self.logger = logger
    }

    /// Whether a restore is under way.
    var isRestoring: Bool { restoring.withLock { $0 > 0 } }

    func assigned(_ partitions: [PartitionID]) async -> [PartitionID: Int64] {
        restoring.withLock { $0 += 1 }
        defer { restoring.withLock { $0 -= 1 } }
        let byNumber = Dictionary(partitions.map { ($0.partition, $0) }, uniquingKeysWith: { first, _ in first })
        let restored = await PartitionedStateStore.eachPartition(partitions.map(\.partition)) { number in
            await self.restore(byNumber[number]!)
        }
        share()
        var positions: [PartitionID: Int64] = [:]
        for (number, progress) in restored {
            if let progress, let partition = byNumber[number] { positions[partition] = progress }
        }
        return positions
    }

    /// Restores one partition, retrying until it succeeds or the task is cancelled.
    /// - Returns: the events offset to read the partition from, if its state records one.
    private func restore(_ partition: PartitionID) async -> Int64? {
        let start = ContinuousClock.now
        var backoff: Duration = .seconds(1)
        while true {
            do {
                let restored = try await store.restore(partition.partition)
                let elapsed = ContinuousClock.now - start
                instruments.restored(
                    partition,
                    read: restored.read,
                    fenced: restored.fenced,
                    forgotten: restored.forgotten,
                    duration: elapsed
                )
                logger.info(
                    """
                    restored \(partition) in \(elapsed): \(restored.read) changelog records read, \
                    \(restored.fenced) from a fenced owner ignored, \(restored.forgotten) keys resolved longer ago \
                    than state.resolved_retention let go; claim \(restored.epoch)\
                    \(restored.progress.map { ", reading from offset \($0)" } ?? "")
                    """
                )
                await intents.reconcile(restored.pending)
                return restored.progress
            } catch {
                // Without its state the partition must not be worked on: nothing is read until it is restored.
                logger.error("could not restore \(partition), retrying in \(backoff): \(error)")
                if Task.isCancelled { return nil }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    func revoked(_ partitions: [PartitionID]) async {
        for partition in partitions { await store.release(partition.partition) }
        share()
    }

    /// Gives this worker's target bucket, and its storm guard's limit, the share its share of the partitions stands
    /// for.
    private func share() {
        let owned = store.ownedPartitions.count
        let total = store.partitioner.partitions
        let share = owned == 0 ? 1 / Double(total) : Double(owned) / Double(total)
        gate.setShare(share)
        stormGuard?.setShare(share)
        instruments.ownedPartitions(owned)
    }

    /// Writes a progress mark for every owned partition whose stored position moved since the last one, and samples
    /// the changelog lag.
    func markProgress(_ stored: [PartitionID: Int64], since marked: inout [PartitionID: Int64]) async {
        instruments.changelogLag(store.changelogLag)
        for (partition, offset) in stored where marked[partition] != offset {
            do {
                try await store.markProgress(partition.partition, offset: offset)
                marked[partition] = offset
            } catch {
                logger.debug("progress mark for \(partition) not written: \(error)")
            }
        }
    }
}

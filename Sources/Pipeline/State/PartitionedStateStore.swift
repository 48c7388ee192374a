public import Logging
import Normalizer
import Synchronization

/// Incident state owned by events partition: the worker holds the state of the keys whose partition the consumer
/// group gave it, and no other. Every change goes to the changelog topic (keyed by dedup key, one partition per
/// events partition) and is acknowledged before it counts; the local state file is a cache of the owned partitions
/// with the changelog offset it reflects (``SQLiteIncidentStateStore/Checkpoint``).
///
/// ``restore(_:)`` takes a partition: the file's checkpoint plus the changelog after it, ignoring what an owner
/// fenced by a newer claim wrote, then this worker's own claim. ``release(_:)`` gives it up: changes for its keys
/// then fail with ``ChangelogPartition/NotOwned``, which the runner treats as "leave the message for the new owner".
///
/// Keys that belong to no events partition (the storm guard's aggregates) live in this process only.
public final class PartitionedStateStore: IncidentStateStore {
    /// What a restore found.
    public struct Restored: Sendable {
        /// The events offset the partition's state reflects, if a progress mark says.
        public var progress: Int64?
        /// Records with a create whose answer was lost (to settle before anything is created again).
        public var pending: [IncidentRecord]
        /// Changelog records read.
        public var read: Int
        /// Of those, written by an owner a newer claim had fenced, and ignored.
        public var fenced: Int
        /// This worker's claim.
        public var epoch: Int64
        /// Resolved keys the restore let go (their resolve older than the retention), written as tombstones.
        public var forgotten: Int = 0
        /// Records and group members a `--stage all` worker had left in the file for this partition, written to the
        /// changelog as this worker's (the changelog had nothing of the partition yet).
        public var handedOver: Int = 0
    }

    /// How far this worker's state is behind the changelog.
    public struct ChangelogLag: Sendable, Hashable {
        /// Changes handed to the changelog and not yet acknowledged by the broker (and applied to the file).
        public var unacknowledgedWrites = 0
        /// Changelog records that restores under way have still to read, per partition.
        public var restoreRemaining: [Int32: Int64] = [:]
    }

    /// How far this worker's state is behind the changelog now.
    public var changelogLag: ChangelogLag { lag.withLock { $0 } }

    /// Which events partition a key belongs to: set with ``setPartitions(_:)`` once the events topic's size is
    /// known, before any partition is restored.
    public var partitioner: KeyPartitioner { partitionerState.withLock { $0 } }
    private let partitionerState: Mutex<KeyPartitioner>
    /// This process's name in its claims.
    public let owner: String
    private let cache: SQLiteIncidentStateStore
    private let sink: any ChangelogSink
    private let source: any ChangelogSource
    private let local = InMemoryIncidentStateStore()
    private let owned = Mutex<[Int32: ChangelogPartition]>([:])
    private let lag = Mutex(ChangelogLag())
    private let logger: Logger
    private let resolvedRetention: Duration?
    private let clock: any PipelineClock
    private let decisionSink: (any DecisionSink)?

    /// Creates a store over the local `cache` file and the changelog.
    /// - Parameters:
    ///   - partitioner: the events topic's partitioner, if its size is known already.
    ///   - resolvedRetention: how long a resolved key is remembered after its resolve: each restore lets older ones
    ///     go (a tombstone in the changelog); `nil` remembers them all.
    ///   - clock: the current time, for the retention.
    ///   - decisions: where every decision is published besides the local file (the audit topic), if anywhere.
    public init(
        partitioner: KeyPartitioner = KeyPartitioner(partitions: 1),
        cache: SQLiteIncidentStateStore,
        changelog sink: any ChangelogSink,
        source: any ChangelogSource,
        owner: String,
        resolvedRetention: Duration? = nil,
        clock: any PipelineClock = SystemPipelineClock(),
        decisions: (any DecisionSink)? = nil,
        logger: Logger
    ) {
        decisionSink = decisions
        self.resolvedRetention = resolvedRetention
        self.clock = clock
        partitionerState = Mutex(partitioner)
        self.cache = cache
        self.sink = sink
        self.source = source
        self.owner = owner
        self.logger = logger
    }

    /// Sets the events topic's partition count, which decides which partition (and owner) each key has.
    public func setPartitions(_ count: Int) {
        partitionerState.withLock { $0 = KeyPartitioner(partitions: count) }
    }

    /// The partitions this worker owns now.
    public var ownedPartitions: [Int32] { owned.withLock { $0.keys.sorted() } }

    private static func isLocal(_ key: String) -> Bool { key.hasPrefix(StormGuard.aggregateKeyPrefix) }

    /// The writer of `key`'s partition; `nil` for a process-local key.
    private func writer(for key: String) throws -> ChangelogPartition? {
        guard !Self.isLocal(key) else { return nil }
        let partition = partitioner.partition(of: key)
        guard let writer = owned.withLock({ $0[partition] }) else {
            throw ChangelogPartition.NotOwned(partition: partition)
        }
        return writer
    }

    /// Throws ``ChangelogPartition/NotOwned`` unless this worker owns `key`'s partition (process-local keys are
    /// always its own).
    public func requireOwned(_ key: String) throws {
        _ = try writer(for: key)
    }

    private func isOwned(_ key: String) -> Bool {
        let partition = partitioner.partition(of: key)
        return owned.withLock { $0[partition] != nil }
    }

    // MARK: - Ownership

    /// How many partitions a rebalance restores at once. Each restore reads its changelog partition with a consumer
    /// of its own and waits on the broker between fetches; side by side they keep both the broker and this process
    /// busy (measured in BENCHMARKS.md, "restore").
    public static let restoreWidth = 4

    /// Runs `body` for every partition of `partitions`, at most `width` at a time, and returns each one's result.
    public static func eachPartition<Result: Sendable>(
        _ partitions: [Int32],
        width: Int = restoreWidth,
        _ body: @escaping @Sendable (Int32) async -> Result
    ) async -> [Int32: Result] {
        await withTaskGroup(of: (Int32, Result).self) { group in
            var results: [Int32: Result] = [:]
            var waiting = partitions[...]
            for _ in 0..<max(1, width) {
                guard let partition = waiting.popFirst() else { break }
                group.addTask { (partition, await body(partition)) }
            }
            while let (partition, result) = await group.next() {
                results[partition] = result
                if let next = waiting.popFirst() { group.addTask { (next, await body(next)) } }
            }
            return results
        }
    }

    /// Takes `partition`: reads what the local file holds of it and the changelog after that, then claims it.
    public func restore(_ partition: Int32) async throws -> Restored {
        var checkpoint = try await cache.checkpoint(partition: partition)
        if checkpoint?.dirty == true {
            // Written to while someone else wrote too: the file's rows are no state the changelog had; start over.
            let partitioner = partitioner
            try await cache.forget(partition: partition) { partitioner.partition(of: $0) == partition }
            checkpoint = nil
            logger.info(
                "the local file's state of partition \(partition) was written out of order; restoring it from the changelog's beginning"
            )
        }
        var claim = (epoch: checkpoint?.epoch ?? 0, owner: checkpoint?.owner ?? "")
        var progress = checkpoint?.progress
        defer { lag.withLock { _ = $0.restoreRemaining.removeValue(forKey: partition) } }
        let records = try await source.read(partition: partition, from: (checkpoint?.offset ?? -1) + 1) {
            [self] remaining in
            lag.withLock { $0.restoreRemaining[partition] = remaining }
        }
        let legacy = checkpoint == nil ? try await legacyState(of: partition, changelogEmpty: records.isEmpty) : nil
        let folded = Self.fold(records, claim: claim, progress: progress)
        let valid = folded.valid
        let fenced = folded.fenced
        claim = folded.claim
        progress = folded.progress
        var start = valid.startIndex
        while start < valid.endIndex {
            let end = min(start + 1000, valid.endIndex)
            try await cache.apply(Array(valid[start..<end]), partition: partition)
            start = end
        }
        // Fenced records after the last valid one: the checkpoint moves past them too (a later restore would ignore
        // them again, for the same claim).
        if let last = records.last?.offset, last > (valid.last?.offset ?? -1) {
            try await cache.moveCheckpoint(partition: partition, to: last, epoch: claim.epoch, owner: claim.owner)
        }
        let epoch = claim.epoch + 1
        let next = (records.last?.offset ?? checkpoint?.offset ?? -1) + 1
        let writer = ChangelogPartition(
            partition: partition,
            epoch: epoch,
            owner: owner,
            next: next,
            sink: sink,
            cache: cache
        )
        try await write(.claim(epoch: epoch, owner: owner), to: writer)
        for entry in legacy ?? [] { try await write(entry, to: writer) }
        // Before any event of the partition is worked on, so nothing races the deletes: the keys resolved longer
        // ago than the retention are let go, through the changelog like any change.
        var forgotten = 0
        if let resolvedRetention {
            let partitioner = partitioner
            for key in try await cache.resolvedKeys(before: clock.now().advanced(by: .zero - resolvedRetention))
            where partitioner.partition(of: key.dedupKey) == partition && !Self.isLocal(key.dedupKey) {
                try await write(.recordDeleted(target: key.target, dedupKey: key.dedupKey), to: writer)
                forgotten += 1
            }
        }
        owned.withLock { $0[partition] = writer }
        let pending = try await cache.pendingIntents(target: nil).filter {
            partitioner.partition(of: $0.dedupKey) == partition
        }
        return Restored(
            progress: progress,
            pending: pending,
            read: records.count,
            fenced: fenced,
            epoch: epoch,
            forgotten: forgotten,
            handedOver: legacy?.count ?? 0
        )
    }

    /// What a worker run with `--stage all` (the whole job in one process, no changelog) left in the state file for
    /// `partition`: rows of its keys while the file holds no checkpoint of it, which a changelogged partition always
    /// has once restored. When the changelog has nothing of the partition yet, they are this worker's to hand over
    /// (returned as changelog entries, written after the claim), so moving a single worker to the default stages
    /// opens no second incident and orphans none. When the changelog has records already, another delivery worker
    /// owned the partition since: its state wins, and the file's old rows are dropped.
    private func legacyState(of partition: Int32, changelogEmpty: Bool) async throws -> [ChangelogEntry]? {
        let partitioner = partitioner
        let belongs: @Sendable (String) -> Bool = { partitioner.partition(of: $0) == partition && !Self.isLocal($0) }
        let records = try await cache.records(where: belongs)
        let members = try await cache.members(where: belongs)
        guard !records.isEmpty || !members.isEmpty else { return nil }
        guard changelogEmpty else {
            try await cache.forget(partition: partition, belongs: belongs)
            logger.warning(
                """
                the state file held \(records.count) incident records of partition \(partition) without a changelog \
                checkpoint (left by a --stage all worker), but the changelog has the partition's state already: \
                the changelog's is kept, the file's dropped
                """
            )
            return nil
        }
        logger.notice(
            """
            handing \(records.count) incident records and \(members.count) group members of partition \(partition), \
            left in the state file by a --stage all worker, over to the changelog
            """
        )
        return records.map(ChangelogEntry.record) + members.map(ChangelogEntry.member)
    }

    /// What a partition's changelog records say once fenced writes are left out.
    public struct Folded: Sendable {
        /// The records to apply, in order: claims that won and the entries written under them.
        public var valid: [(offset: Int64, entry: ChangelogEntry)]
        /// Records written by an owner a newer claim had fenced, left out.
        public var fenced: Int
        /// The last claim that won.
        public var claim: (epoch: Int64, owner: String)
        /// The highest progress mark among the valid records (or the one given).
        public var progress: Int64?
    }

    /// Leaves out of `records` (one partition's, in order) what a fenced owner wrote: a record written under an
    /// older epoch than the last claim, or by another worker than the claim's. The rule a restore applies, and the
    /// one `ingestor incidents` reads the changelog with.
    /// - Parameters:
    ///   - claim: the claim in force before the first record (a local checkpoint's), or `(0, "")`.
    ///   - progress: the progress mark in force before the first record.
    public static func fold(
        _ records: [ChangelogRecord],
        claim: (epoch: Int64, owner: String) = (0, ""),
        progress: Int64? = nil
    ) -> Folded {
        var folded = Folded(valid: [], fenced: 0, claim: claim, progress: progress)
        for record in records {
            guard let entry = record.entry else { continue }
            if case .claim(let epoch, let owner) = entry {
                // The last claim wins, also against one of the same epoch (two workers that raced for it).
                if epoch >= folded.claim.epoch {
                    folded.claim = (epoch, owner)
                    folded.valid.append((record.offset, entry))
                }
                continue
            }
            // Written after a newer claim by someone else: a fenced owner (paused past its session, a zombie).
            if record.epoch < folded.claim.epoch || (!folded.claim.owner.isEmpty && record.owner != folded.claim.owner)
            {
                folded.fenced += 1
                continue
            }
            if case .progress(let offset) = entry { folded.progress = max(folded.progress ?? offset, offset) }
            folded.valid.append((record.offset, entry))
        }
        return folded
    }

    /// Writes `entry` (with `decisions` for the audit trail) through `writer`, counted as unacknowledged until the
    /// broker acknowledged it.
    private func write(
        _ entry: ChangelogEntry,
        decisions: [DecisionRecord] = [],
        to writer: ChangelogPartition
    ) async throws {
        lag.withLock { $0.unacknowledgedWrites += 1 }
        defer { lag.withLock { $0.unacknowledgedWrites -= 1 } }
        try await writer.write(entry, decisions: decisions)
    }

    /// Gives `partition` up: changes still being written finish, later ones fail with `NotOwned`.
    public func release(_ partition: Int32) async {
        guard let writer = owned.withLock({ $0.removeValue(forKey: partition) }) else { return }
        await writer.close()
    }

    /// Records that the partition's state reflects every events record before `offset`.
    public func markProgress(_ partition: Int32, offset: Int64) async throws {
        guard let writer = owned.withLock({ $0[partition] }) else { return }
        try await write(.progress(offset: offset), to: writer)
    }

    // MARK: - IncidentStateStore

    public func record(target: String, dedupKey: String) async throws -> IncidentRecord? {
        guard try writer(for: dedupKey) != nil else {
            return try await local.record(target: target, dedupKey: dedupKey)
        }
        return try await cache.record(target: target, dedupKey: dedupKey)
    }

    public func save(_ record: IncidentRecord, decisions: [DecisionRecord]) async throws {
        guard let writer = try writer(for: record.dedupKey) else {
            try await local.save(record, decisions: decisions)
            return
        }
        try await write(.record(record), decisions: decisions, to: writer)
        if !decisions.isEmpty { await decisionSink?.publish(decisions, owner: owner) }
    }

    public func delete(target: String, dedupKey: String) async throws {
        guard let writer = try writer(for: dedupKey) else {
            try await local.delete(target: target, dedupKey: dedupKey)
            return
        }
        try await write(.recordDeleted(target: target, dedupKey: dedupKey), to: writer)
    }

    public func pendingIntents(target: String) async throws -> [IncidentRecord] {
        try await cache.pendingIntents(target: target).filter { isOwned($0.dedupKey) }
    }

    public func audit(_ entries: [DecisionRecord]) async throws {
        try await cache.audit(entries)
        if !entries.isEmpty { await decisionSink?.publish(entries, owner: owner) }
    }

    public func cachedRecord(target: String, dedupKey: String) -> IncidentRecord? {
        if Self.isLocal(dedupKey) { return local.cachedRecord(target: target, dedupKey: dedupKey) }
        guard isOwned(dedupKey) else { return nil }
        return cache.cachedRecord(target: target, dedupKey: dedupKey)
    }

    public func saveMember(_ member: GroupMember) async throws -> [GroupMember] {
        guard let writer = try writer(for: member.groupKey) else { return try await local.saveMember(member) }
        var members = try await cache.members(target: member.target, groupKey: member.groupKey)
        var saved = member
        if let index = members.firstIndex(where: { $0.memberKey == member.memberKey }) {
            let known = members[index]
            // An older event for the member changes nothing; the member keeps when it was first seen.
            if let old = known.occurredAt, let new = member.occurredAt, new < old { return members }
            saved.firstSeen = known.firstSeen
            members[index] = saved
        } else {
            members.append(saved)
        }
        try await write(.member(saved), to: writer)
        return members
    }

    public func deleteMembers(target: String, groupKey: String) async throws {
        guard let writer = try writer(for: groupKey) else {
            try await local.deleteMembers(target: target, groupKey: groupKey)
            return
        }
        for member in try await cache.members(target: target, groupKey: groupKey) {
            try await write(.memberDeleted(target: target, groupKey: groupKey, memberKey: member.memberKey), to: writer)
        }
    }
}

import Foundation
import Logging
import Normalizer
import PipelineTestSupport
import Synchronization
import Testing

@testable import Pipeline

/// A changelog in memory: one list of records per partition, written and read as the Kafka one is.
final class InMemoryChangelog: ChangelogSink, ChangelogSource {
    private let partitions = Mutex<[Int32: [ChangelogRecord]]>([:])

    func send(_ entry: ChangelogEntry, partition: Int32, epoch: Int64, owner: String) async throws -> ChangelogReceipt {
        let offset = partitions.withLock { partitions in
            var records = partitions[partition] ?? []
            let offset = Int64(records.count)
            // Written as Kafka would carry it: key and value bytes, read back on restore.
            records.append(
                ChangelogRecord(
                    offset: offset,
                    entry: ChangelogEntry(key: entry.key, value: entry.value),
                    epoch: epoch,
                    owner: owner
                )
            )
            partitions[partition] = records
            return offset
        }
        return ChangelogReceipt { offset }
    }

    func read(
        partition: Int32,
        from offset: Int64,
        remaining: @escaping @Sendable (Int64) -> Void
    ) async throws -> [ChangelogRecord] {
        let records = partitions.withLock { ($0[partition] ?? []).filter { $0.offset >= offset } }
        remaining(0)
        return records
    }

    func records(_ partition: Int32) -> [ChangelogRecord] { partitions.withLock { $0[partition] ?? [] } }
}

@Suite("Partitioned state and its changelog")
struct PartitionedStateStoreTests {
    static let t0 = Timestamp(rfc3339: "2026-12-03T08:00:00Z")!

    static func store(
        _ changelog: InMemoryChangelog,
        owner: String,
        path: String = ":memory:"
    ) throws
        -> PartitionedStateStore
    {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return PartitionedStateStore(
            partitioner: KeyPartitioner(partitions: 1),
            cache: try SQLiteIncidentStateStore(path: path, now: t0),
            changelog: changelog,
            source: changelog,
            owner: owner,
            logger: logger
        )
    }

    static func record(_ key: String, _ id: String, status: IncidentRecord.Status = .open) -> IncidentRecord {
        IncidentRecord(
            target: "t",
            dedupKey: key,
            externalID: id,
            status: status,
            contentHash: 7,
            lastEventAt: t0,
            createdAt: t0
        )
    }

    @Test func everyChangeIsInTheChangelogAndAnEmptyDiskRestoresIt() async throws {
        let changelog = InMemoryChangelog()
        let first = try Self.store(changelog, owner: "a")
        _ = try await first.restore(0)
        try await first.save(Self.record("k1", "inc-1"))
        try await first.save(Self.record("k2", "inc-2"))
        try await first.delete(target: "t", dedupKey: "k2")
        _ = try await first.saveMember(
            GroupMember(
                target: "t",
                groupKey: "g",
                memberKey: "m1",
                status: .firing,
                severity: .high,
                title: "x",
                occurredAt: Self.t0,
                firstSeen: Self.t0
            )
        )
        try await first.markProgress(0, offset: 42)
        // A key of a partition this worker does not own is refused, not written.
        await #expect(throws: ChangelogPartition.NotOwned.self) {
            let other = try Self.store(changelog, owner: "b")
            try await other.save(Self.record("k3", "inc-3"))
        }

        let second = try Self.store(changelog, owner: "b")
        let restored = try await second.restore(0)
        #expect(restored.progress == 42)
        #expect(restored.epoch == 2, "a claim above the first owner's")
        #expect(try await second.record(target: "t", dedupKey: "k1") == Self.record("k1", "inc-1"))
        #expect(try await second.record(target: "t", dedupKey: "k2") == nil, "the delete is restored too")
        let members = try await second.saveMember(
            GroupMember(
                target: "t",
                groupKey: "g",
                memberKey: "m2",
                status: .firing,
                severity: .low,
                title: "y",
                occurredAt: Self.t0,
                firstSeen: Self.t0
            )
        )
        #expect(Set(members.map(\.memberKey)) == ["m1", "m2"])
    }

    @Test func writesOfAnOwnerFencedByANewerClaimAreIgnoredOnRestore() async throws {
        let changelog = InMemoryChangelog()
        let zombie = try Self.store(changelog, owner: "zombie")
        _ = try await zombie.restore(0)
        try await zombie.save(Self.record("k", "inc-1"))

        // The zombie pauses; a new owner restores and claims the partition, and changes the key.
        let owner = try Self.store(changelog, owner: "owner")
        _ = try await owner.restore(0)
        try await owner.save(Self.record("k", "inc-1", status: .resolved))
        try await owner.markProgress(0, offset: 10)

        // The zombie comes back, still believing it owns the partition, and writes what its old view says.
        try await zombie.save(Self.record("k", "inc-1"))
        try await zombie.save(Self.record("other", "inc-9"))
        try await zombie.markProgress(0, offset: 99)

        let auditor = try Self.store(changelog, owner: "auditor")
        let restored = try await auditor.restore(0)
        #expect(restored.fenced == 3, "the zombie's three late writes")
        #expect(restored.progress == 10, "the zombie cannot move the progress")
        #expect(try await auditor.record(target: "t", dedupKey: "k")?.status == .resolved)
        #expect(try await auditor.record(target: "t", dedupKey: "other") == nil)
    }

    /// Found by the three-worker chaos test: a new owner drops an intent it finds no incident for (a delete), then
    /// creates (a write); a third worker restoring both in one batch must end with the incident, not without it.
    @Test func aKeyDeletedAndWrittenAgainIsRestoredAsWritten() async throws {
        let changelog = InMemoryChangelog()
        let first = try Self.store(changelog, owner: "first")
        _ = try await first.restore(0)
        var intent = Self.record("k", "")
        intent.externalID = nil
        intent.pending = .init(action: .create, since: Self.t0)
        try await first.save(intent)
        let second = try Self.store(changelog, owner: "second")
        _ = try await second.restore(0)
        try await second.delete(target: "t", dedupKey: "k")
        try await second.save(intent)
        try await second.save(Self.record("k", "inc-1"))

        let third = try Self.store(changelog, owner: "third")
        let restored = try await third.restore(0)
        #expect(restored.pending.isEmpty)
        #expect(try await third.record(target: "t", dedupKey: "k")?.externalID == "inc-1")
    }

    @Test func aRestartOnTheSameDiskReadsOnlyTheChangelogAfterItsCheckpoint() async throws {
        let changelog = InMemoryChangelog()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ps-\(UUID()).sqlite").path
        do {
            let first = try Self.store(changelog, owner: "a", path: path)
            _ = try await first.restore(0)
            for index in 0..<20 { try await first.save(Self.record("k\(index)", "inc-\(index)")) }
        }
        // Someone else changed one key since.
        let other = try Self.store(changelog, owner: "b")
        _ = try await other.restore(0)
        try await other.save(Self.record("k3", "inc-3", status: .resolved))

        let again = try Self.store(changelog, owner: "a2", path: path)
        let restored = try await again.restore(0)
        #expect(restored.read == 2, "the other owner's claim and change, not the 21 records before them")
        #expect(try await again.record(target: "t", dedupKey: "k3")?.status == .resolved)
        #expect(try await again.record(target: "t", dedupKey: "k19")?.externalID == "inc-19")
    }

    /// A worker that ran `--stage all` kept its state only in the file. Started with the default stages on the same
    /// file, it hands that state to the changelog, so another worker with an empty disk takes it up from there.
    @Test func aStateFileOfAnInProcessWorkerIsHandedOverToAnEmptyChangelog() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ho-\(UUID()).sqlite").path
        do {
            let inProcess = try SQLiteIncidentStateStore(path: path, now: Self.t0)
            try await inProcess.save(Self.record("k1", "inc-1"))
            try await inProcess.save(Self.record("k2", "inc-2", status: .resolved))
        }
        let changelog = InMemoryChangelog()
        let upgraded = try Self.store(changelog, owner: "a", path: path)
        let restored = try await upgraded.restore(0)
        #expect(restored.handedOver == 2)
        #expect(try await upgraded.record(target: "t", dedupKey: "k1")?.externalID == "inc-1")
        let keys = changelog.records(0).compactMap { record -> String? in
            guard case .record(let incident) = record.entry else { return nil }
            return incident.dedupKey
        }
        #expect(keys.sorted() == ["k1", "k2"], "written after the claim, as this worker's")

        let elsewhere = try Self.store(changelog, owner: "b")
        _ = try await elsewhere.restore(0)
        #expect(try await elsewhere.record(target: "t", dedupKey: "k1")?.externalID == "inc-1")
        #expect(try await elsewhere.record(target: "t", dedupKey: "k2")?.status == .resolved)

        // Handed over once: the file has its checkpoint now, and a restart reads only the changelog after it.
        let again = try Self.store(changelog, owner: "a", path: path)
        #expect(try await again.restore(0).handedOver == 0)
    }

    /// The same old file, but another delivery worker owned the partition since: its state in the changelog wins.
    @Test func anOldStateFileGivesWayToAChangelogThatHasThePartition() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ho-\(UUID()).sqlite").path
        do {
            let inProcess = try SQLiteIncidentStateStore(path: path, now: Self.t0)
            try await inProcess.save(Self.record("k1", "inc-old"))
            try await inProcess.save(Self.record("k9", "inc-9"))
        }
        let changelog = InMemoryChangelog()
        let other = try Self.store(changelog, owner: "b")
        _ = try await other.restore(0)
        try await other.save(Self.record("k1", "inc-new"))

        let upgraded = try Self.store(changelog, owner: "a", path: path)
        let restored = try await upgraded.restore(0)
        #expect(restored.handedOver == 0)
        #expect(try await upgraded.record(target: "t", dedupKey: "k1")?.externalID == "inc-new")
        #expect(try await upgraded.record(target: "t", dedupKey: "k9") == nil, "the file's own rows are dropped")
    }

    @Test func aZombiesOwnLateWritesDoNotMoveItsCheckpointPastTheNewOwners() async throws {
        let changelog = InMemoryChangelog()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zc-\(UUID()).sqlite").path
        let zombie = try Self.store(changelog, owner: "zombie", path: path)
        _ = try await zombie.restore(0)
        try await zombie.save(Self.record("k", "inc-1"))
        let owner = try Self.store(changelog, owner: "owner")
        _ = try await owner.restore(0)
        try await owner.save(Self.record("k", "inc-1", status: .resolved))
        // The zombie's late write lands after the owner's claim and change; its file must not skip those.
        try await zombie.save(Self.record("late", "inc-2"))
        await zombie.release(0)

        let again = try Self.store(changelog, owner: "zombie-restarted", path: path)
        let restored = try await again.restore(0)
        #expect(try await again.record(target: "t", dedupKey: "k")?.status == .resolved, "the owner's change")
        #expect(try await again.record(target: "t", dedupKey: "late") == nil, "its own fenced write is not state")
        #expect(restored.fenced == 1)
        #expect(restored.epoch == 3)
    }
}

/// A changelog whose restores and acknowledgements wait until the test lets them go, to look at the lag meanwhile.
final class HeldChangelog: ChangelogSink, ChangelogSource {
    let inner = InMemoryChangelog()
    private let held = Mutex<[CheckedContinuation<Void, Never>]>([])
    let holding = Mutex(false)

    private func waitIfHeld() async {
        guard holding.withLock({ $0 }) else { return }
        await withCheckedContinuation { continuation in held.withLock { $0.append(continuation) } }
    }

    /// How many calls wait.
    var waiting: Int { held.withLock { $0.count } }

    func release() {
        holding.withLock { $0 = false }
        for continuation in held.withLock({ held in
            defer { held = [] }
            return held
        }) { continuation.resume() }
    }

    func send(_ entry: ChangelogEntry, partition: Int32, epoch: Int64, owner: String) async throws -> ChangelogReceipt {
        let receipt = try await inner.send(entry, partition: partition, epoch: epoch, owner: owner)
        return ChangelogReceipt {
            await self.waitIfHeld()
            return try await receipt.offset()
        }
    }

    func read(
        partition: Int32,
        from offset: Int64,
        remaining: @escaping @Sendable (Int64) -> Void
    ) async throws -> [ChangelogRecord] {
        let records = try await inner.read(partition: partition, from: offset) { _ in }
        remaining(Int64(records.count))
        await waitIfHeld()
        remaining(0)
        return records
    }
}

@Suite("The changelog lag")
struct ChangelogLagTests {
    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            try #require(ContinuousClock.now < deadline)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func restoresShowWhatTheyHaveLeftAndWritesCountUntilAcknowledged() async throws {
        let changelog = HeldChangelog()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        func store(_ owner: String) throws -> PartitionedStateStore {
            PartitionedStateStore(
                partitioner: KeyPartitioner(partitions: 1),
                cache: try SQLiteIncidentStateStore(path: ":memory:", now: PartitionedStateStoreTests.t0),
                changelog: changelog,
                source: changelog,
                owner: owner,
                logger: logger
            )
        }
        let first = try store("a")
        _ = try await first.restore(0)
        try await first.save(PartitionedStateStoreTests.record("k1", "inc-1"))
        #expect(first.changelogLag == PartitionedStateStore.ChangelogLag())

        // A write the broker has not acknowledged yet.
        changelog.holding.withLock { $0 = true }
        let saving = Task { try await first.save(PartitionedStateStoreTests.record("k2", "inc-2")) }
        try await Self.waitUntil { changelog.waiting == 1 }
        #expect(first.changelogLag.unacknowledgedWrites == 1)
        changelog.release()
        try await saving.value
        #expect(first.changelogLag.unacknowledgedWrites == 0)

        // A restore reading the partition's three records (a claim, two records).
        let second = try store("b")
        changelog.holding.withLock { $0 = true }
        let restoring = Task { try await second.restore(0) }
        try await Self.waitUntil { changelog.waiting == 1 }
        #expect(second.changelogLag.restoreRemaining == [0: 3])
        changelog.release()
        _ = try await restoring.value
        #expect(second.changelogLag.restoreRemaining.isEmpty, "a finished restore has nothing left")
    }
}

@Suite("Resolved keys are remembered for a bounded window")
struct ResolvedRetentionTests {
    static let t0 = PartitionedStateStoreTests.t0

    static func resolved(_ key: String, at time: Timestamp, pending: Bool = false) -> IncidentRecord {
        IncidentRecord(
            target: "t",
            dedupKey: key,
            externalID: "inc-\(key)",
            status: .resolved,
            contentHash: 1,
            lastEventAt: time,
            createdAt: time,
            updatedAt: time,
            resolvedAt: time,
            pending: pending ? IncidentRecord.PendingIntent(action: .create, since: time) : nil
        )
    }

    @Test func aStateFileLetsGoOfKeysResolvedLongerAgoWhenItOpens() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rr-\(UUID()).sqlite").path
        let now = Self.t0.advanced(by: .seconds(10 * 86_400))
        do {
            let store = try SQLiteIncidentStateStore(path: path, now: Self.t0)
            try await store.save(Self.resolved("old", at: Self.t0))
            try await store.save(Self.resolved("recent", at: now.advanced(by: .seconds(-3600))))
            try await store.save(PartitionedStateStoreTests.record("open", "inc-open"))
            try await store.save(Self.resolved("pending", at: Self.t0, pending: true))
            // An alert that ended ten days ago by its own clock, whose resolve reached the worker an hour ago.
            var late = Self.resolved("late", at: Self.t0)
            late.updatedAt = now.advanced(by: .seconds(-3600))
            try await store.save(late)
        }
        let reopened = try SQLiteIncidentStateStore(path: path, resolvedRetention: .seconds(7 * 86_400), now: now)
        #expect(try await reopened.record(target: "t", dedupKey: "old") == nil, "resolved ten days ago: let go")
        #expect(try await reopened.record(target: "t", dedupKey: "recent")?.status == .resolved)
        #expect(try await reopened.record(target: "t", dedupKey: "open")?.status == .open, "open ones stay")
        #expect(try await reopened.record(target: "t", dedupKey: "pending") != nil, "a pending create is never let go")
        #expect(
            try await reopened.record(target: "t", dedupKey: "late") != nil,
            "the window runs from when the worker resolved it, not from the alert's own end time"
        )
    }

    @Test func aRestoreLetsGoOfThemThroughTheChangelog() async throws {
        let changelog = InMemoryChangelog()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let clock = ManualClock(start: Self.t0)
        func store(_ owner: String) throws -> PartitionedStateStore {
            PartitionedStateStore(
                partitioner: KeyPartitioner(partitions: 1),
                cache: try SQLiteIncidentStateStore(path: ":memory:", now: Self.t0),
                changelog: changelog,
                source: changelog,
                owner: owner,
                resolvedRetention: .seconds(7 * 86_400),
                clock: clock,
                logger: logger
            )
        }
        let first = try store("a")
        _ = try await first.restore(0)
        try await first.save(Self.resolved("old", at: Self.t0))
        try await first.save(PartitionedStateStoreTests.record("open", "inc-open"))
        try await clock.sleep(for: .seconds(3 * 86_400))
        try await first.save(Self.resolved("recent", at: clock.now()))
        await first.release(0)

        try await clock.sleep(for: .seconds(5 * 86_400))
        let second = try store("b")
        let restored = try await second.restore(0)
        #expect(restored.forgotten == 1)
        #expect(try await second.record(target: "t", dedupKey: "old") == nil)
        #expect(try await second.record(target: "t", dedupKey: "recent")?.status == .resolved)
        #expect(try await second.record(target: "t", dedupKey: "open")?.status == .open)
        #expect(
            changelog.records(0).last?.entry == .recordDeleted(target: "t", dedupKey: "old"),
            "let go through the changelog (a tombstone), so every later owner agrees"
        )
        let third = try store("c")
        _ = try await third.restore(0)
        #expect(try await third.record(target: "t", dedupKey: "old") == nil, "an empty disk does not bring it back")
    }
}

import Foundation
import Normalizer
import Testing

@testable import Pipeline

private func temporaryFile() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UInt64.random(in: 0...UInt64.max)).sqlite")
        .path
}

private let t0 = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!

@Suite("SQLite incident state")
struct StateStoreTests {
    @Test func recordsSurviveReopeningTheFile() async throws {
        let path = temporaryFile()
        let record = IncidentRecord(
            target: "devrev",
            dedupKey: "am:1",
            externalID: "don:core:incident/7",
            status: .resolved,
            contentHash: UInt64.max - 3,
            lastEventAt: t0,
            updateCount: 4,
            createdAt: t0,
            updatedAt: t0.advanced(by: .seconds(5)),
            resolvedAt: t0.advanced(by: .seconds(9)),
            pending: .init(action: .create, since: t0.advanced(by: .seconds(10))),
            lastPosition: MessagePosition(partition: PartitionID(topic: "alerts.raw", partition: 3), offset: 41)
        )
        do {
            let store = try SQLiteIncidentStateStore(path: path, now: t0)
            try await store.save(
                record,
                decisions: [DecisionRecord(at: t0, target: "devrev", dedupKey: "am:1", decision: "create", reason: "r")]
            )
            try await store.save(
                IncidentRecord(
                    target: "devrev",
                    dedupKey: "am:2",
                    externalID: "x",
                    status: .open,
                    contentHash: 1,
                    lastEventAt: nil
                )
            )
        }
        let reopened = try SQLiteIncidentStateStore(path: path, now: t0)
        #expect(try await reopened.record(target: "devrev", dedupKey: "am:1") == record)
        #expect(try await reopened.record(target: "other", dedupKey: "am:1") == nil, "targets are separate")
        #expect(try await reopened.pendingIntents(target: "devrev").map(\.dedupKey) == ["am:1"])
        #expect(try reopened.decisions(target: "devrev").map(\.decision) == ["create"])
        let counts = try reopened.counts(target: "devrev")
        #expect(counts.open == 1 && counts.resolved == 1 && counts.pending == 1)
        try await reopened.delete(target: "devrev", dedupKey: "am:1")
        #expect(try await reopened.record(target: "devrev", dedupKey: "am:1") == nil)
        #expect(
            try await SQLiteIncidentStateStore(path: path, now: t0).record(target: "devrev", dedupKey: "am:1") == nil
        )
    }

    @Test func reopeningLoadsWhatFitsAndReadsTheFileForTheRest() async throws {
        let path = temporaryFile()
        do {
            let store = try SQLiteIncidentStateStore(path: path, now: t0)
            for index in 0..<5 {
                try await store.save(
                    IncidentRecord(
                        target: "t",
                        dedupKey: "k\(index)",
                        externalID: "i\(index)",
                        status: .open,
                        contentHash: 0,
                        lastEventAt: nil
                    )
                )
            }
        }
        // All five fit: loaded at open, so every key is answered from memory, a missing one too.
        let roomy = try SQLiteIncidentStateStore(path: path, cacheCapacity: 100, now: t0)
        #expect(roomy.cachedRecord(target: "t", dedupKey: "k4")?.externalID == "i4", "loaded at open")
        #expect(try await roomy.record(target: "t", dedupKey: "k9") == nil)
        // They do not fit in two: nothing is loaded, and every key is still found in the file.
        let small = try SQLiteIncidentStateStore(path: path, cacheCapacity: 2, now: t0)
        #expect(small.cachedRecord(target: "t", dedupKey: "k4") == nil, "not loaded")
        for index in 0..<5 {
            #expect(try await small.record(target: "t", dedupKey: "k\(index)")?.externalID == "i\(index)")
        }
        #expect(try await small.record(target: "t", dedupKey: "k9") == nil)
    }

    @Test func oneProcessHoldsTheFileAtATime() throws {
        let path = temporaryFile()
        var holder: SQLiteIncidentStateStore? = try SQLiteIncidentStateStore(path: path, now: t0, exclusive: true)
        #expect(holder != nil)
        do {
            _ = try SQLiteIncidentStateStore(path: path, now: t0, exclusive: true)
            Issue.record("a second exclusive open succeeded")
        } catch let error as StateFileLock.InUse {
            #expect(error.description.contains("pid \(getpid())"), "names the holder: \(error)")
            #expect(error.description.contains("--to-topic"), "and the way around it")
        }
        // A reader that does not lock (a dry run) may still open it.
        _ = try SQLiteIncidentStateStore(path: path, now: t0)
        holder = nil
        _ = try SQLiteIncidentStateStore(path: path, now: t0, exclusive: true)
    }

    @Test func aLockFileThatCannotBeCreatedIsNotTakenForAnotherProcess() throws {
        let path = temporaryFile() + ".missing/state.sqlite"
        do {
            _ = try SQLiteIncidentStateStore(path: path, now: t0, exclusive: true)
            Issue.record("opened a state file in a missing directory")
        } catch let error as StateFileLock.Unavailable {
            #expect(error.description.hasPrefix("cannot create its lock file \(path).lock: "), "\(error)")
            #expect(error.reason == String(cString: strerror(ENOENT)), "the system's reason")
        }
    }

    @Test func theCacheNeverServesAnOutdatedRecord() async throws {
        let store = try SQLiteIncidentStateStore(path: temporaryFile(), cacheCapacity: 2, now: t0)
        for index in 0..<5 {
            try await store.save(
                IncidentRecord(
                    target: "t",
                    dedupKey: "k\(index)",
                    externalID: "i\(index)",
                    status: .open,
                    contentHash: 0,
                    lastEventAt: nil
                )
            )
        }
        var record = try #require(try await store.record(target: "t", dedupKey: "k0"))
        record.status = .resolved
        try await store.save(record)
        for index in 1..<5 { _ = try await store.record(target: "t", dedupKey: "k\(index)") }
        #expect(try await store.record(target: "t", dedupKey: "k0")?.status == .resolved)
    }

    @Test func oldDecisionsArePrunedOnOpen() async throws {
        let path = temporaryFile()
        do {
            let store = try SQLiteIncidentStateStore(path: path, now: t0)
            try await store.audit([
                DecisionRecord(at: t0, target: "t", dedupKey: "old", decision: "ignore", reason: "r"),
                DecisionRecord(
                    at: t0.advanced(by: .seconds(6 * 86_400)),
                    target: "t",
                    dedupKey: "new",
                    decision: "ignore",
                    reason: "r"
                ),
            ])
        }
        let later = try SQLiteIncidentStateStore(
            path: path,
            auditRetention: .seconds(2 * 86_400),
            now: t0.advanced(by: .seconds(7 * 86_400))
        )
        #expect(try later.decisions().map(\.dedupKey) == ["new"])
    }

    @Test func groupMembersKeepWhenTheyWereFirstSeenAndIgnoreOlderEvents() async throws {
        let path = temporaryFile()
        let store = try SQLiteIncidentStateStore(path: path, now: t0)
        func member(_ key: String, _ status: AlertStatus, at offset: Int64, seen: Int64) -> GroupMember {
            GroupMember(
                target: "t",
                groupKey: "group:x",
                memberKey: key,
                status: status,
                severity: .high,
                title: key,
                occurredAt: t0.advanced(by: .seconds(offset)),
                firstSeen: t0.advanced(by: .seconds(seen))
            )
        }
        _ = try await store.saveMember(member("a", .firing, at: 0, seen: 0))
        _ = try await store.saveMember(member("b", .firing, at: 5, seen: 5))
        var members = try await store.saveMember(member("a", .resolved, at: 60, seen: 60))
        let a = try #require(members.first { $0.memberKey == "a" })
        #expect(a.status == .resolved)
        #expect(a.firstSeen == t0, "first seen stays")
        members = try await store.saveMember(member("a", .firing, at: 0, seen: 90))
        #expect(members.first { $0.memberKey == "a" }?.status == .resolved, "an older event changes nothing")
        let reopened = try SQLiteIncidentStateStore(path: path, now: t0)
        #expect(try await reopened.saveMember(member("c", .firing, at: 1, seen: 1)).count == 3, "members are durable")
        try await reopened.deleteMembers(target: "t", groupKey: "group:x")
        #expect(try await reopened.saveMember(member("d", .firing, at: 1, seen: 1)).count == 1)
    }

    @Test func anUnwritableFileIsAnErrorNotACrash() {
        #expect(throws: (any Error).self) {
            _ = try SQLiteIncidentStateStore(path: "/proc/no-such-dir/state.sqlite", now: t0)
        }
    }

    @Test func theCorrelatorKeepsItsDecisionsInTheAuditTrail() async throws {
        let store = try SQLiteIncidentStateStore(path: temporaryFile(), now: t0)
        let correlator = Correlator(store: store, target: "t")
        let decision = try await correlator.decide(sampleEvent())
        guard case .send(let create) = decision else {
            Issue.record("expected a create")
            return
        }
        try await correlator.beginCreate(create, at: t0)
        #expect(try await store.pendingIntents(target: "t").count == 1, "the intent is stored before the call")
        try await correlator.applied(create, externalID: "inc-1", at: t0, origin: "raw[0]@3")
        #expect(try await store.pendingIntents(target: "t").isEmpty, "and cleared with the answer")
        let resolved = sampleEvent(status: .resolved)
        try await correlator.audit(.ignore(reason: "x"), for: resolved, at: t0)
        let trail = try store.decisions(target: "t", dedupKey: "am:1")
        #expect(trail.map(\.decision) == ["create", "ignore"])
        #expect(trail.first?.origin == "raw[0]@3")
        #expect(trail.first?.externalID == "inc-1")
    }
}

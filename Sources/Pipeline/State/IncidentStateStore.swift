public import Normalizer
import Synchronization

/// What the worker knows about one problem at one target.
public struct IncidentRecord: Sendable, Hashable {
    /// Whether the incident is open at the target.
    public enum Status: String, Sendable, Hashable {
        /// Opened and not resolved.
        case open
        /// Resolved by this worker.
        case resolved
    }

    /// A create call that was started and whose answer was not recorded yet.
    ///
    /// Written before the call and cleared with the answer, so a record that still carries one after a restart marks
    /// a create whose outcome is unknown: the incident may or may not exist at the target.
    public struct PendingIntent: Sendable, Hashable {
        /// The action (always `create` today).
        public var action: IncidentCommand.Action
        /// When the call was started.
        public var since: Timestamp

        /// Creates an intent.
        public init(action: IncidentCommand.Action, since: Timestamp) {
            self.action = action
            self.since = since
        }
    }

    /// The target's name.
    public var target: String
    /// The dedup key.
    public var dedupKey: String
    /// The incident's id at the target; `nil` only while the first create is pending.
    public var externalID: String?
    /// Open or resolved.
    public var status: Status
    /// A hash of what was last sent (severity, title, description, status).
    public var contentHash: UInt64
    /// The event time of the last applied event.
    public var lastEventAt: Timestamp?
    /// Where the last applied event was read (its message's partition and offset), when known: an event with the
    /// same time from an earlier offset of that partition is a redelivery of older content, and is stale.
    public var lastPosition: MessagePosition?
    /// Updates sent since the create.
    public var updateCount: Int
    /// When the worker first recorded the key.
    public var createdAt: Timestamp?
    /// When the record last changed.
    public var updatedAt: Timestamp?
    /// When the incident was resolved, if it is.
    public var resolvedAt: Timestamp?
    /// A create in flight, or interrupted by a crash.
    public var pending: PendingIntent?

    /// Creates a record.
    public init(
        target: String,
        dedupKey: String,
        externalID: String?,
        status: Status,
        contentHash: UInt64,
        lastEventAt: Timestamp?,
        updateCount: Int = 0,
        createdAt: Timestamp? = nil,
        updatedAt: Timestamp? = nil,
        resolvedAt: Timestamp? = nil,
        pending: PendingIntent? = nil,
        lastPosition: MessagePosition? = nil
    ) {
        self.target = target
        self.dedupKey = dedupKey
        self.externalID = externalID
        self.status = status
        self.contentHash = contentHash
        self.lastEventAt = lastEventAt
        self.updateCount = updateCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.resolvedAt = resolvedAt
        self.pending = pending
        self.lastPosition = lastPosition
    }

    /// Whether an incident is open at the target with a known id.
    public var isOpen: Bool { status == .open && externalID != nil }
}

/// One correlator decision worth keeping: what was decided for which key, and why.
public struct DecisionRecord: Sendable, Hashable {
    /// When it was decided.
    public var at: Timestamp
    /// The target.
    public var target: String
    /// The dedup key.
    public var dedupKey: String
    /// `create`, `update`, `resolve`, `comment`, `ignore`, `stale`, `reconcile_…`, or `adopt` (an open incident a
    /// lookup found for a key with no state).
    public var decision: String
    /// Why.
    public var reason: String
    /// The incident id, when there is one.
    public var externalID: String?
    /// Where the event came from (`topic[partition]@offset`), when known.
    public var origin: String?

    /// Creates an entry.
    public init(
        at: Timestamp,
        target: String,
        dedupKey: String,
        decision: String,
        reason: String,
        externalID: String? = nil,
        origin: String? = nil
    ) {
        self.at = at
        self.target = target
        self.dedupKey = dedupKey
        self.decision = decision
        self.reason = reason
        self.externalID = externalID
        self.origin = origin
    }
}

/// Where the correlator keeps incident records: ``SQLiteIncidentStateStore`` in the worker, in memory in tests.
///
/// Commands for one dedup key are processed one at a time (the runner's lanes), so implementations need no
/// read-modify-write transactions across calls; each call must be atomic on its own.
public protocol IncidentStateStore: Sendable {
    /// The record for a key at a target, if any.
    func record(target: String, dedupKey: String) async throws -> IncidentRecord?
    /// Inserts or replaces a record and appends `decisions` to the audit trail, in one transaction.
    func save(_ record: IncidentRecord, decisions: [DecisionRecord]) async throws
    /// Deletes a record (a pending create that turned out never to have happened, on a key with no history).
    func delete(target: String, dedupKey: String) async throws
    /// Records with a pending intent at `target`, oldest first.
    func pendingIntents(target: String) async throws -> [IncidentRecord]
    /// Appends to the audit trail of decisions.
    func audit(_ entries: [DecisionRecord]) async throws
    /// The record if it is at hand without I/O; `nil` when it is not (or does not exist). For the runner's fast path.
    func cachedRecord(target: String, dedupKey: String) -> IncidentRecord?
    /// Inserts or updates a group member (unless the stored one is newer by event time; its first-seen time stays)
    /// and returns every member of its group.
    func saveMember(_ member: GroupMember) async throws -> [GroupMember]
    /// Forgets the members of a group (its incident resolved).
    func deleteMembers(target: String, groupKey: String) async throws
}

extension IncidentStateStore {
    /// Inserts or replaces a record.
    public func save(_ record: IncidentRecord) async throws {
        try await save(record, decisions: [])
    }
}

/// Records in memory; lost on restart. For tests, `normalize --commands` and benchmarks of the pure path.
public final class InMemoryIncidentStateStore: IncidentStateStore {
    private struct Key: Hashable {
        var target: String
        var dedupKey: String
    }

    private let records = Mutex<[Key: IncidentRecord]>([:])
    private let trail = Mutex<[DecisionRecord]>([])
    private let members = Mutex<[Key: [String: GroupMember]]>([:])

    /// Creates an empty store.
    public init() {}

    public func record(target: String, dedupKey: String) async throws -> IncidentRecord? {
        records.withLock { $0[Key(target: target, dedupKey: dedupKey)] }
    }

    public func save(_ record: IncidentRecord, decisions: [DecisionRecord]) async throws {
        records.withLock { $0[Key(target: record.target, dedupKey: record.dedupKey)] = record }
        trail.withLock { $0.append(contentsOf: decisions) }
    }

    public func delete(target: String, dedupKey: String) async throws {
        _ = records.withLock { $0.removeValue(forKey: Key(target: target, dedupKey: dedupKey)) }
    }

    public func pendingIntents(target: String) async throws -> [IncidentRecord] {
        records.withLock { records in
            records.values.filter { $0.target == target && $0.pending != nil }
                .sorted {
                    ($0.pending?.since.millisecondsSinceEpoch ?? 0) < ($1.pending?.since.millisecondsSinceEpoch ?? 0)
                }
        }
    }

    public func audit(_ entries: [DecisionRecord]) async throws {
        trail.withLock { $0.append(contentsOf: entries) }
    }

    public func cachedRecord(target: String, dedupKey: String) -> IncidentRecord? {
        records.withLock { $0[Key(target: target, dedupKey: dedupKey)] }
    }

    public func saveMember(_ member: GroupMember) async throws -> [GroupMember] {
        members.withLock { members in
            let key = Key(target: member.target, dedupKey: member.groupKey)
            var group = members[key] ?? [:]
            if let known = group[member.memberKey] {
                // An older event for the member changes nothing; the member keeps when it was first seen.
                if let old = known.occurredAt, let new = member.occurredAt, new < old { return Array(group.values) }
                var updated = member
                updated.firstSeen = known.firstSeen
                group[member.memberKey] = updated
            } else {
                group[member.memberKey] = member
            }
            members[key] = group
            return Array(group.values)
        }
    }

    public func deleteMembers(target: String, groupKey: String) async throws {
        _ = members.withLock { $0.removeValue(forKey: Key(target: target, dedupKey: groupKey)) }
    }

    /// Every record, for tests and the demo.
    public var all: [IncidentRecord] { records.withLock { Array($0.values) } }
    /// The audit trail, oldest first.
    public var decisions: [DecisionRecord] { trail.withLock { $0 } }
}

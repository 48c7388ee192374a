import GRDB
import Normalizer
import Synchronization

/// The state file as the local cache of changelogged partitions: each changelog record the worker wrote or
/// restored is applied with the changelog offset it came from, in one transaction, so a restart on the same disk
/// replays only the changelog after the partition's checkpoint.
extension SQLiteIncidentStateStore {
    /// What the file reflects of one partition's changelog.
    public struct Checkpoint: Sendable, Hashable {
        /// The last changelog offset applied.
        public var offset: Int64
        /// The epoch of the last claim applied.
        public var epoch: Int64
        /// The worker that made it.
        public var owner: String
        /// The events offset the partition's state reflects, when a progress mark was applied.
        public var progress: Int64?
        /// Whether records were applied out of order since (someone else wrote in between): the file's rows of the
        /// partition are then not a state the changelog ever had, and a restore starts over from the changelog.
        public var dirty: Bool = false
    }

    /// The checkpoint of `partition`, if the file holds one.
    public func checkpoint(partition: Int32) async throws -> Checkpoint? {
        try await transaction { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM changelog_checkpoints WHERE partition = ?",
                arguments: [Int64(partition)]
            ).map { row in
                Checkpoint(
                    offset: row["changelog_offset"],
                    epoch: row["epoch"],
                    owner: row["owner"],
                    progress: row["progress"],
                    dirty: row["dirty"] != 0
                )
            }
        }
    }

    /// Forgets `partition`'s checkpoint, so its next restore starts from the changelog's beginning.
    public func dropCheckpoint(partition: Int32) async throws {
        try await transaction { db in
            try db.execute(sql: "DELETE FROM changelog_checkpoints WHERE partition = ?", arguments: [Int64(partition)])
        }
    }

    /// Applies changelog records of `partition`, in order, and moves its checkpoint to the last one's offset.
    /// - Parameters:
    ///   - entries: each record's offset and entry; claims set the checkpoint's epoch and owner, progress marks its
    ///     progress.
    ///   - checkpoint: move the checkpoint; `false` when records of others may lie between the file's checkpoint
    ///     and these: the rows still change (this worker reads its own writes), and the checkpoint is marked dirty
    ///     (a restore then starts over from the changelog).
    ///   - decisions: audit-trail entries written in the same transaction.
    public func apply(
        _ entries: [(offset: Int64, entry: ChangelogEntry)],
        partition: Int32,
        checkpoint: Bool = true,
        decisions: [DecisionRecord] = []
    ) async throws {
        guard let last = entries.last?.offset else { return }
        // The cache in memory follows the entries in their order: a key deleted and then written again in one batch
        // (a new owner dropping an intent it found no incident for, then creating) must end up written.
        let applied = try await transaction { db -> [(key: Key, record: IncidentRecord?)] in
            var saved: [(key: Key, record: IncidentRecord?)] = []
            if !decisions.isEmpty { try Self.insert(decisions, into: db) }
            var epoch: Int64?
            var owner: String?
            var progress: Int64?
            for (_, entry) in entries {
                switch entry {
                case .record(let record):
                    try Self.upsert(record, into: db)
                    saved.append((Key(target: record.target, dedupKey: record.dedupKey), record))
                case .recordDeleted(let target, let dedupKey):
                    saved.append((Key(target: target, dedupKey: dedupKey), nil))
                    try db.execute(
                        sql: "DELETE FROM incidents WHERE target = ? AND dedup_key = ?",
                        arguments: [target, dedupKey]
                    )
                case .member(let member):
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO group_members (target, group_key, member_key, status, severity,
                                title, occurred_at, first_seen)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            member.target, member.groupKey, member.memberKey, member.status.rawValue,
                            member.severity.rawValue, member.title, member.occurredAt?.millisecondsSinceEpoch,
                            member.firstSeen.millisecondsSinceEpoch,
                        ]
                    )
                case .memberDeleted(let target, let groupKey, let memberKey):
                    try db.execute(
                        sql: "DELETE FROM group_members WHERE target = ? AND group_key = ? AND member_key = ?",
                        arguments: [target, groupKey, memberKey]
                    )
                case .claim(let claimed, let claimer):
                    // The last claim wins (one of the same epoch came later: its claimer raced and won).
                    if claimed >= (epoch ?? claimed) {
                        epoch = claimed
                        owner = claimer
                    }
                case .progress(let offset):
                    progress = max(progress ?? offset, offset)
                }
            }
            guard checkpoint else {
                try db.execute(
                    sql: """
                        INSERT INTO changelog_checkpoints (partition, changelog_offset, epoch, dirty) VALUES (?, -1, 0, 1)
                        ON CONFLICT (partition) DO UPDATE SET dirty = 1
                        """,
                    arguments: [Int64(partition)]
                )
                return saved
            }
            try db.execute(
                sql: """
                    INSERT INTO changelog_checkpoints (partition, changelog_offset, epoch, owner, progress)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (partition) DO UPDATE SET changelog_offset = excluded.changelog_offset,
                        epoch = COALESCE(?, changelog_checkpoints.epoch),
                        owner = COALESCE(?, changelog_checkpoints.owner),
                        progress = COALESCE(?, changelog_checkpoints.progress)
                    """,
                arguments: [Int64(partition), last, epoch ?? 0, owner ?? "", progress, epoch, owner, progress]
            )
            return saved
        }
        for change in applied {
            if let record = change.record {
                remember(record)
            } else {
                cache.withLock { _ = $0.records.removeValue(forKey: change.key) }
            }
        }
    }

    /// Records with a pending intent at any target, oldest first.
    public func pendingIntents(target: String?) async throws -> [IncidentRecord] {
        guard let target else {
            return try await database.read { db in
                try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM incidents WHERE pending_action IS NOT NULL ORDER BY pending_since"
                ).map(Self.record(from:))
            }
        }
        return try await pendingIntents(target: target)
    }

    /// Forgets what the file holds of one partition (its records, members and checkpoint), for a restore from the
    /// changelog's beginning.
    /// - Parameter belongs: whether a dedup key (or group key) is of the partition.
    public func forget(partition: Int32, belongs: @escaping @Sendable (String) -> Bool) async throws {
        let removed = try await transaction { db -> [Key] in
            let keys = try Row.fetchAll(db, sql: "SELECT target, dedup_key FROM incidents").compactMap { row -> Key? in
                let key = Key(target: row["target"], dedupKey: row["dedup_key"])
                return belongs(key.dedupKey) ? key : nil
            }
            for key in keys {
                try db.execute(
                    sql: "DELETE FROM incidents WHERE target = ? AND dedup_key = ?",
                    arguments: [key.target, key.dedupKey]
                )
            }
            let groups = try Row.fetchAll(db, sql: "SELECT DISTINCT target, group_key FROM group_members")
            for row in groups where belongs(row["group_key"]) {
                try db.execute(
                    sql: "DELETE FROM group_members WHERE target = ? AND group_key = ?",
                    arguments: [row["target"] as String, row["group_key"] as String]
                )
            }
            try db.execute(sql: "DELETE FROM changelog_checkpoints WHERE partition = ?", arguments: [Int64(partition)])
            return keys
        }
        cache.withLock { cache in
            for key in removed { cache.records.removeValue(forKey: key) }
        }
    }

    /// Moves `partition`'s checkpoint past records read and deliberately not applied (a fenced owner's), under
    /// the claim that decided so.
    public func moveCheckpoint(partition: Int32, to offset: Int64, epoch: Int64, owner: String) async throws {
        try await transaction { db in
            try db.execute(
                sql: """
                    INSERT INTO changelog_checkpoints (partition, changelog_offset, epoch, owner) VALUES (?, ?, ?, ?)
                    ON CONFLICT (partition) DO UPDATE SET changelog_offset = excluded.changelog_offset,
                        epoch = excluded.epoch, owner = excluded.owner, dirty = 0
                    """,
                arguments: [Int64(partition), offset, epoch, owner]
            )
        }
    }

    /// The members of a group.
    public func members(target: String, groupKey: String) async throws -> [GroupMember] {
        try await transaction { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM group_members WHERE target = ? AND group_key = ?"),
                arguments: [target, groupKey]
            ).map(Self.member(from:))
        }
    }

    /// Every record in the file whose dedup key `belongs` says is wanted (a partition's keys).
    public func records(where belongs: (String) -> Bool) async throws -> [IncidentRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM incidents").map(Self.record(from:))
        }.filter { belongs($0.dedupKey) }
    }

    /// Every group member in the file whose group key `belongs` says is wanted (a partition's groups).
    public func members(where belongs: (String) -> Bool) async throws -> [GroupMember] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM group_members").map(Self.member(from:))
        }.filter { belongs($0.groupKey) }
    }

    static func member(from row: Row) -> GroupMember {
        GroupMember(
            target: row["target"],
            groupKey: row["group_key"],
            memberKey: row["member_key"],
            status: AlertStatus(rawValue: row["status"]) ?? .firing,
            severity: Severity(rawValue: row["severity"]) ?? .medium,
            title: row["title"],
            occurredAt: (row["occurred_at"] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)),
            firstSeen: Timestamp(millisecondsSinceEpoch: row["first_seen"])
        )
    }
}

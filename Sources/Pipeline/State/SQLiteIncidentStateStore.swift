import GRDB
public import Normalizer
import Synchronization

/// Incident records and the decision audit trail in one SQLite file (GRDB), migrated from the first version on.
///
/// The file is opened in WAL mode with `synchronous=NORMAL`: every save is a committed transaction that survives a
/// crash or `kill -9` of the worker (an operating-system crash or power loss can lose the last few). Reads go
/// through a write-through cache of up to ``cacheCapacity`` records, because this worker is the only writer for
/// its target's keys; the storm case (nearly every alert a repeat) then never touches the disk.
public final class SQLiteIncidentStateStore: IncidentStateStore {
    struct Key: Hashable {
        var target: String
        var dedupKey: String
    }

    /// The file's path.
    public let path: String
    /// Most records kept in memory; past it the cache starts over (reads fall back to the file).
    public let cacheCapacity: Int
    let database: DatabaseQueue
    /// The cached records, and whether they are every record in the file (then a key not cached has none).
    struct Cache {
        var records: [Key: IncidentRecord] = [:]
        var complete = false
    }
    let cache = Mutex(Cache())
    /// The lock that makes this process the file's only writer, for an exclusive store.
    private let lock: StateFileLock?

    /// Opens (creating when missing) and migrates the store at `path`.
    /// - Parameters:
    ///   - auditRetention: decisions older than this (by their time) are deleted on open; `nil` keeps all.
    ///   - resolvedRetention: records of resolved keys whose resolve is older than this are deleted on open (with no
    ///     create pending); `nil` keeps them all. A key forgotten so is new again: a late event for it is no
    ///     longer recognised as stale.
    ///   - now: the current time, for the retentions.
    ///   - exclusive: hold the file's ``StateFileLock`` while open and refuse (``StateFileLock/InUse``) when another
    ///     process holds it: the cache assumes one writer per file. The worker and replay open the file exclusively.
    ///   - readOnly: open an existing, migrated file without writing to it (a replay's dry run); writes then fail.
    public init(
        path: String,
        cacheCapacity: Int = 100_000,
        auditRetention: Duration? = .seconds(7 * 86_400),
        resolvedRetention: Duration? = nil,
        now: Timestamp,
        exclusive: Bool = false,
        readOnly: Bool = false
    ) throws {
        lock = exclusive ? try StateFileLock(path: path) : nil
        self.path = path
        self.cacheCapacity = max(1, cacheCapacity)
        var configuration = Configuration()
        configuration.label = "ingestor.state"
        configuration.busyMode = .timeout(5)
        if readOnly {
            configuration.readonly = true
            database = try DatabaseQueue(path: path, configuration: configuration)
            return
        }
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        database = try DatabaseQueue(path: path, configuration: configuration)
        try database.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
        try Self.migrator.migrate(database)
        if let auditRetention {
            let cutoff = now.advanced(by: .zero - auditRetention).millisecondsSinceEpoch
            try database.write { db in
                try db.execute(sql: "DELETE FROM decisions WHERE at < ?", arguments: [cutoff])
            }
        }
        if let resolvedRetention {
            let cutoff = now.advanced(by: .zero - resolvedRetention).millisecondsSinceEpoch
            try database.write { db in
                try db.execute(sql: "DELETE FROM incidents WHERE \(Self.resolvedBefore)", arguments: [cutoff])
            }
        }
        try loadAll()
    }

    /// Matches the records of keys resolved and last changed before the time given as the argument (by this worker's
    /// clock: `updated_at`; `resolved_at` is the alert's own end time, which can be days old when it arrives), with
    /// no create pending.
    private static let resolvedBefore =
        "status = 'resolved' AND pending_action IS NULL AND COALESCE(updated_at, resolved_at, last_event_at, created_at) < ?"

    /// The keys resolved before `cutoff` (by the time of the resolve), with no create pending: those a bounded
    /// window of memory lets go.
    public func resolvedKeys(before cutoff: Timestamp) async throws -> [(target: String, dedupKey: String)] {
        try await transaction { db in
            try Row.fetchAll(
                db,
                sql: "SELECT target, dedup_key FROM incidents WHERE \(Self.resolvedBefore)",
                arguments: [cutoff.millisecondsSinceEpoch]
            ).map { (target: $0["target"], dedupKey: $0["dedup_key"]) }
        }
    }

    /// Reads every record into the cache when they fit: a key that is not cached then has no record, and the file
    /// is not asked (a new problem's first event costs no read). The lock makes this process the only writer.
    private func loadAll() throws {
        let capacity = cacheCapacity
        let records: [IncidentRecord]? = try database.read { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM incidents") ?? 0 <= capacity else { return nil }
            return try Row.fetchAll(db, sql: "SELECT * FROM incidents").map(Self.record(from:))
        }
        guard let records else { return }
        cache.withLock { cache in
            for record in records { cache.records[Key(target: record.target, dedupKey: record.dedupKey)] = record }
            cache.complete = true
        }
    }

    /// The schema, one migration per version; never edit a shipped migration, add one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: incidents and decisions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE incidents (
                        target TEXT NOT NULL,
                        dedup_key TEXT NOT NULL,
                        external_id TEXT,
                        status TEXT NOT NULL,
                        content_hash INTEGER NOT NULL,
                        last_event_at INTEGER,
                        update_count INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER,
                        updated_at INTEGER,
                        resolved_at INTEGER,
                        pending_action TEXT,
                        pending_since INTEGER,
                        PRIMARY KEY (target, dedup_key)
                    ) WITHOUT ROWID;
                    CREATE INDEX incidents_pending ON incidents(target, pending_since) WHERE pending_action IS NOT NULL;
                    CREATE TABLE decisions (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        target TEXT NOT NULL,
                        dedup_key TEXT NOT NULL,
                        decision TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        external_id TEXT,
                        origin TEXT
                    );
                    CREATE INDEX decisions_key ON decisions(target, dedup_key, at);
                    CREATE INDEX decisions_at ON decisions(at);
                    """
            )
        }
        migrator.registerMigration("v2: group members") { db in
            try db.execute(
                sql: """
                    CREATE TABLE group_members (
                        target TEXT NOT NULL,
                        group_key TEXT NOT NULL,
                        member_key TEXT NOT NULL,
                        status TEXT NOT NULL,
                        severity TEXT NOT NULL,
                        title TEXT NOT NULL,
                        occurred_at INTEGER,
                        first_seen INTEGER NOT NULL,
                        PRIMARY KEY (target, group_key, member_key)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v3: position of the last applied event") { db in
            try db.execute(
                sql: """
                    ALTER TABLE incidents ADD COLUMN last_topic TEXT;
                    ALTER TABLE incidents ADD COLUMN last_partition INTEGER;
                    ALTER TABLE incidents ADD COLUMN last_offset INTEGER;
                    """
            )
        }
        migrator.registerMigration("v4: changelog checkpoints") { db in
            try db.execute(
                sql: """
                    CREATE TABLE changelog_checkpoints (
                        partition INTEGER PRIMARY KEY,
                        changelog_offset INTEGER NOT NULL,
                        epoch INTEGER NOT NULL,
                        owner TEXT NOT NULL DEFAULT '',
                        progress INTEGER,
                        dirty INTEGER NOT NULL DEFAULT 0
                    );
                    """
            )
        }
        migrator.registerMigration("v5: resolved keys by the time of their last change") { db in
            // What `resolvedKeys(before:)` and the retention at open ask, without reading every open incident (a
            // restore asks once per partition).
            try db.execute(
                sql: """
                    CREATE INDEX incidents_resolved ON incidents(COALESCE(updated_at, resolved_at, last_event_at, created_at))
                    WHERE status = 'resolved' AND pending_action IS NULL;
                    """
            )
        }
        return migrator
    }

    public func record(target: String, dedupKey: String) async throws -> IncidentRecord? {
        let key = Key(target: target, dedupKey: dedupKey)
        let (cached, complete) = cache.withLock { ($0.records[key], $0.complete) }
        if let cached { return cached }
        if complete { return nil }
        let record = try await database.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM incidents WHERE target = ? AND dedup_key = ?"),
                arguments: [target, dedupKey]
            ).map(Self.record(from:))
        }
        if let record { remember(record) }
        return record
    }

    public func cachedRecord(target: String, dedupKey: String) -> IncidentRecord? {
        cache.withLock { $0.records[Key(target: target, dedupKey: dedupKey)] }
    }

    public func save(_ record: IncidentRecord, decisions: [DecisionRecord]) async throws {
        try await transaction { db in
            try Self.upsert(record, into: db)
            try Self.insert(decisions, into: db)
        }
        remember(record)
    }

    /// Inserts or replaces `record`'s row.
    static func upsert(_ record: IncidentRecord, into db: Database) throws {
        // Cached statements: compiled once per connection, not per save.
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO incidents (target, dedup_key, external_id, status, content_hash,
                    last_event_at, update_count, created_at, updated_at, resolved_at, pending_action, pending_since,
                    last_topic, last_partition, last_offset)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                record.target, record.dedupKey, record.externalID, record.status.rawValue,
                Int64(bitPattern: record.contentHash), record.lastEventAt?.millisecondsSinceEpoch,
                record.updateCount, record.createdAt?.millisecondsSinceEpoch,
                record.updatedAt?.millisecondsSinceEpoch, record.resolvedAt?.millisecondsSinceEpoch,
                record.pending?.action.rawValue, record.pending?.since.millisecondsSinceEpoch,
                record.lastPosition?.partition.topic, record.lastPosition.map { Int64($0.partition.partition) },
                record.lastPosition?.offset,
            ]
        )
    }

    public func saveMember(_ member: GroupMember) async throws -> [GroupMember] {
        try await transaction { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO group_members (target, group_key, member_key, status, severity, title, occurred_at,
                        first_seen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (target, group_key, member_key) DO UPDATE SET status = excluded.status,
                        severity = excluded.severity, title = excluded.title, occurred_at = excluded.occurred_at
                    WHERE excluded.occurred_at IS NULL OR group_members.occurred_at IS NULL
                        OR excluded.occurred_at >= group_members.occurred_at
                    """
            ).execute(
                arguments: [
                    member.target, member.groupKey, member.memberKey, member.status.rawValue, member.severity.rawValue,
                    member.title, member.occurredAt?.millisecondsSinceEpoch, member.firstSeen.millisecondsSinceEpoch,
                ]
            )
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM group_members WHERE target = ? AND group_key = ?"),
                arguments: [member.target, member.groupKey]
            ).map(Self.member(from:))
        }
    }

    /// The members of a group, first seen first, read without writing (a read-only file too); for
    /// `ingestor incidents show`.
    public func groupMembers(target: String, groupKey: String) throws -> [GroupMember] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM group_members WHERE target = ? AND group_key = ? ORDER BY first_seen, member_key",
                arguments: [target, groupKey]
            ).map(Self.member(from:))
        }
    }

    /// Every record (of one target, when given), most recently changed first; for `ingestor incidents`.
    public func records(target: String? = nil) throws -> [IncidentRecord] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM incidents \(target == nil ? "" : "WHERE target = ?")
                    ORDER BY COALESCE(updated_at, created_at) DESC, dedup_key
                    """,
                arguments: target.map { [$0] } ?? []
            ).map(Self.record(from:))
        }
    }

    public func deleteMembers(target: String, groupKey: String) async throws {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM group_members WHERE target = ? AND group_key = ?",
                arguments: [target, groupKey]
            )
        }
    }

    public func delete(target: String, dedupKey: String) async throws {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM incidents WHERE target = ? AND dedup_key = ?",
                arguments: [target, dedupKey]
            )
        }
        _ = cache.withLock { $0.records.removeValue(forKey: Key(target: target, dedupKey: dedupKey)) }
    }

    public func pendingIntents(target: String) async throws -> [IncidentRecord] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM incidents WHERE target = ? AND pending_action IS NOT NULL ORDER BY pending_since",
                arguments: [target]
            ).map(Self.record(from:))
        }
    }

    public func audit(_ entries: [DecisionRecord]) async throws {
        guard !entries.isEmpty else { return }
        try await transaction { db in try Self.insert(entries, into: db) }
    }

    /// The audit trail for one key (or all keys), oldest first; for `ingestor state` and tests.
    public func decisions(
        target: String? = nil,
        dedupKey: String? = nil,
        limit: Int = 1000
    ) throws
        -> [DecisionRecord]
    {
        try database.read { db in
            var clauses: [String] = []
            var arguments = StatementArguments()
            if let target {
                clauses.append("target = ?")
                arguments += [target]
            }
            if let dedupKey {
                clauses.append("dedup_key = ?")
                arguments += [dedupKey]
            }
            let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            arguments += [limit]
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM (SELECT * FROM decisions \(filter) ORDER BY id DESC LIMIT ?) ORDER BY id",
                arguments: arguments
            ).map { row in
                DecisionRecord(
                    at: Timestamp(millisecondsSinceEpoch: row["at"]),
                    target: row["target"],
                    dedupKey: row["dedup_key"],
                    decision: row["decision"],
                    reason: row["reason"],
                    externalID: row["external_id"],
                    origin: row["origin"]
                )
            }
        }
    }

    /// Counts of records by status (`open`, `resolved`, `pending`), for the summary and tests.
    public func counts(target: String) throws -> (open: Int, resolved: Int, pending: Int) {
        try database.read { db in
            let open =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM incidents WHERE target = ? AND status = 'open' AND external_id IS NOT NULL",
                    arguments: [target]
                ) ?? 0
            let resolved =
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM incidents WHERE target = ? AND status = 'resolved' AND external_id IS NOT NULL",
                    arguments: [target]
                ) ?? 0
            let pending =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM incidents WHERE target = ? AND pending_action IS NOT NULL",
                    arguments: [target]
                ) ?? 0
            return (open, resolved, pending)
        }
    }

    /// Runs `body` in one write transaction begun and ended by cached statements. GRDB's own transactions compile
    /// BEGIN and COMMIT each time, and every compile resets SQLite's authorizer, which expires every prepared
    /// statement: each cached INSERT would be compiled again at its next step (measured: most of a create's
    /// state-store time).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await database.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
            do {
                let result = try body(db)
                try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                return result
            } catch {
                if !db.isInsideTransaction { throw error }
                try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
                throw error
            }
        }
    }

    func remember(_ record: IncidentRecord) {
        cache.withLock { cache in
            let key = Key(target: record.target, dedupKey: record.dedupKey)
            if cache.records.count >= cacheCapacity, cache.records[key] == nil {
                cache.records.removeAll(keepingCapacity: true)
                cache.complete = false
            }
            cache.records[key] = record
        }
    }

    static func insert(_ entries: [DecisionRecord], into db: Database) throws {
        for entry in entries {
            try db.cachedStatement(
                sql: """
                    INSERT INTO decisions (at, target, dedup_key, decision, reason, external_id, origin)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    entry.at.millisecondsSinceEpoch, entry.target, entry.dedupKey, entry.decision, entry.reason,
                    entry.externalID, entry.origin,
                ]
            )
        }
    }

    static func record(from row: Row) -> IncidentRecord {
        let timestamp: (String) -> Timestamp? = { column in
            (row[column] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:))
        }
        var pending: IncidentRecord.PendingIntent?
        if let action = (row["pending_action"] as String?).flatMap(IncidentCommand.Action.init(rawValue:)),
            let since = timestamp("pending_since")
        {
            pending = IncidentRecord.PendingIntent(action: action, since: since)
        }
        var position: MessagePosition?
        if let topic = row["last_topic"] as String?, let partition = row["last_partition"] as Int32?,
            let offset = row["last_offset"] as Int64?
        {
            position = MessagePosition(partition: PartitionID(topic: topic, partition: partition), offset: offset)
        }
        return IncidentRecord(
            target: row["target"],
            dedupKey: row["dedup_key"],
            externalID: row["external_id"],
            status: IncidentRecord.Status(rawValue: row["status"]) ?? .open,
            contentHash: UInt64(bitPattern: row["content_hash"]),
            lastEventAt: timestamp("last_event_at"),
            updateCount: row["update_count"],
            createdAt: timestamp("created_at"),
            updatedAt: timestamp("updated_at"),
            resolvedAt: timestamp("resolved_at"),
            pending: pending,
            lastPosition: position
        )
    }
}

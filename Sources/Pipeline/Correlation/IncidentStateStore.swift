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

    /// The target's name.
    public var target: String
    /// The dedup key.
    public var dedupKey: String
    /// The incident's id at the target.
    public var externalID: String
    /// Open or resolved.
    public var status: Status
    /// A hash of what was last sent (severity, title, description, status).
    public var contentHash: UInt64
    /// The event time of the last applied event.
    public var lastEventAt: Timestamp?
    /// Updates sent since the create.
    public var updateCount: Int

    /// Creates a record.
    public init(
        target: String,
        dedupKey: String,
        externalID: String,
        status: Status,
        contentHash: UInt64,
        lastEventAt: Timestamp?,
        updateCount: Int = 0
    ) {
        self.target = target
        self.dedupKey = dedupKey
        self.externalID = externalID
        self.status = status
        self.contentHash = contentHash
        self.lastEventAt = lastEventAt
        self.updateCount = updateCount
    }
}

/// Where the correlator keeps incident records. The durable SQLite store implements the same port.
public protocol IncidentStateStore: Sendable {
    /// The record for a key at a target, if any.
    func record(target: String, dedupKey: String) async throws -> IncidentRecord?
    /// Inserts or replaces a record.
    func save(_ record: IncidentRecord) async throws
}

/// Records in memory; lost on restart.
public final class InMemoryIncidentStateStore: IncidentStateStore {
    private struct Key: Hashable {
        var target: String
        var dedupKey: String
    }

    private let records = Mutex<[Key: IncidentRecord]>([:])

    /// Creates an empty store.
    public init() {}

    public func record(target: String, dedupKey: String) async throws -> IncidentRecord? {
        records.withLock { $0[Key(target: target, dedupKey: dedupKey)] }
    }

    public func save(_ record: IncidentRecord) async throws {
        records.withLock { $0[Key(target: record.target, dedupKey: record.dedupKey)] = record }
    }

    /// Every record, for tests and the demo.
    public var all: [IncidentRecord] { records.withLock { Array($0.values) } }
}

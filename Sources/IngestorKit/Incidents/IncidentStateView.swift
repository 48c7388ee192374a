public import Foundation
import KafkaIO
public import Logging
import Normalizer
public import Pipeline

/// The incident state as `ingestor incidents` reads it: a state file (the in-process worker's, read without
/// writing or locking it), or the changelog topic (every delivery-stage worker's partitions, folded the way a restore
/// folds them, fenced writes left out) with the audit topic for the decisions.
public struct IncidentStateView: Sendable {
    /// Where the state was read.
    public enum Origin: Sendable {
        /// A state file, last written at `modified`.
        case file(path: String, modified: Date?)
        /// The changelog topic: its partitions' last claims, the records read and those left out as fenced.
        case changelog(topic: String, claims: [Int32: String], records: Int, fenced: Int)
    }

    /// Why the state cannot be read.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String

        /// Creates the refusal.
        public init(description: String) {
            self.description = description
        }
    }

    /// Where the state was read.
    public let origin: Origin
    /// When it was read.
    public let readAt: Date
    /// The state read, for the replay's dry run (read-only for a file).
    let store: SQLiteIncidentStateStore
    private let auditTopic: String?
    private let bootstrapServers: [String]

    /// Reads the state file at `path` without writing it; a running worker may hold it.
    public static func file(path: String) throws -> IncidentStateView {
        guard FileManager.default.fileExists(atPath: path) else {
            throw Unavailable(
                description: """
                    no state file at \(path): the worker has not run here yet, or state.path points elsewhere \
                    (a delivery-stage worker keeps its state in the changelog topic: --from changelog)
                    """
            )
        }
        let store: SQLiteIncidentStateStore
        do {
            store = try SQLiteIncidentStateStore(
                path: path,
                auditRetention: nil,
                now: SystemPipelineClock().now(),
                readOnly: true
            )
        } catch {
            throw Unavailable(description: "cannot read the state file \(path): \(error)")
        }
        let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        // The write-ahead log is where a running worker's latest changes are until a checkpoint.
        let wal = try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.modificationDate] as? Date
        return IncidentStateView(
            origin: .file(path: path, modified: [modified, wal].compactMap { $0 }.max()),
            readAt: Date(),
            store: store,
            auditTopic: nil,
            bootstrapServers: []
        )
    }

    /// Reads every partition of the changelog `topic` to its current end and folds it as a restore would.
    /// - Parameter auditTopic: where `decisions` reads the delivery stage's decisions.
    public static func changelog(
        topic: String,
        auditTopic: String?,
        bootstrapServers: [String],
        logger: Logger
    ) async throws -> IncidentStateView {
        var partitions: [Int32: [ChangelogRecord]] = [:]
        do {
            try await KafkaTopicReader.read(topic: topic, bootstrapServers: bootstrapServers, logger: logger) {
                message in
                partitions[message.partition, default: []].append(ChangelogRecord(message))
                return true
            }
        } catch let error as KafkaError {
            throw Unavailable(
                description:
                    "cannot read the changelog topic \(topic) from \(bootstrapServers.joined(separator: ",")): \(error)"
            )
        }
        let store = try SQLiteIncidentStateStore(
            path: ":memory:",
            auditRetention: nil,
            now: SystemPipelineClock().now()
        )
        var claims: [Int32: String] = [:]
        var read = 0
        var fenced = 0
        for (partition, records) in partitions {
            let folded = PartitionedStateStore.fold(records.sorted { $0.offset < $1.offset })
            try await store.apply(folded.valid, partition: partition)
            claims[partition] = "\(folded.claim.owner) (epoch \(folded.claim.epoch))"
            read += records.count
            fenced += folded.fenced
        }
        return IncidentStateView(
            origin: .changelog(topic: topic, claims: claims, records: read, fenced: fenced),
            readAt: Date(),
            store: store,
            auditTopic: auditTopic,
            bootstrapServers: bootstrapServers
        )
    }

    /// Every record, most recently changed first.
    public func records(target: String? = nil) throws -> [IncidentRecord] {
        try store.records(target: target)
    }

    /// The record of one key at one target.
    public func record(target: String, dedupKey: String) async throws -> IncidentRecord? {
        try await store.record(target: target, dedupKey: dedupKey)
    }

    /// The record of one key, at any target (one per target).
    public func records(dedupKey: String) throws -> [IncidentRecord] {
        try store.records().filter { $0.dedupKey == dedupKey }
    }

    /// The members of a group (a key of a source with `group_by`).
    public func members(target: String, groupKey: String) throws -> [GroupMember] {
        try store.groupMembers(target: target, groupKey: groupKey)
    }

    /// The decisions taken for a key, oldest first: the state file's audit trail, or the audit topic's records.
    public func decisions(dedupKey: String, logger: Logger) async throws -> [DecisionRecord] {
        guard let auditTopic else { return try store.decisions(dedupKey: dedupKey, limit: 10_000) }
        var found: [DecisionRecord] = []
        do {
            try await KafkaTopicReader.read(topic: auditTopic, bootstrapServers: bootstrapServers, logger: logger) {
                message in
                if let decision = DecisionRecord(auditValue: message.value), decision.dedupKey == dedupKey {
                    found.append(decision)
                }
                return true
            }
        } catch let error as KafkaError {
            throw Unavailable(description: "cannot read the audit topic \(auditTopic): \(error)")
        }
        return found.sorted { $0.at < $1.at }
    }
}

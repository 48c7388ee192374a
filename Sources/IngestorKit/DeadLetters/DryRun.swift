import IncidentAPI
import Normalizer
import Pipeline
import Synchronization

/// The target of `replay --dry-run`: accepts every command without calling anything, so the pipeline's decisions
/// can be shown as they would happen. A create interrupted by a crash is assumed not to be at the target (a real
/// replay looks it up first, where the target can).
final class DryRunTarget: IncidentTarget {
    let name: String
    let supportsReopen: Bool
    var supportsLookup: Bool { true }
    /// A dry run asks nothing: keys with no state are shown as they would be decided without the safety net.
    var lookupFindsIncidents: Bool { false }
    private let counter = Atomic<Int>(0)

    init(name: String, supportsReopen: Bool) {
        self.name = name
        self.supportsReopen = supportsReopen
    }

    func execute(_ command: IncidentCommand) async -> TargetOutcome {
        let number = counter.add(1, ordering: .relaxed).newValue
        return .success(externalID: command.externalID ?? "dry-run-\(number)", httpStatus: 200)
    }

    func lookup(dedupKey: String) async -> LookupOutcome { .notFound }
}

/// The state store of a dry run: reads the real records, keeps its own changes in memory, writes nothing.
final class OverlayIncidentStateStore: IncidentStateStore {
    private struct Key: Hashable {
        var target: String
        var dedupKey: String
    }

    private let base: any IncidentStateStore
    /// Records changed by the dry run; `nil` for a deleted one.
    private let changes = Mutex<[Key: IncidentRecord?]>([:])
    private let members = InMemoryIncidentStateStore()

    init(base: any IncidentStateStore) {
        self.base = base
    }

    func record(target: String, dedupKey: String) async throws -> IncidentRecord? {
        if let changed = changes.withLock({ $0[Key(target: target, dedupKey: dedupKey)] }) { return changed }
        return try await base.record(target: target, dedupKey: dedupKey)
    }

    func save(_ record: IncidentRecord, decisions: [DecisionRecord]) async throws {
        changes.withLock { $0[Key(target: record.target, dedupKey: record.dedupKey)] = .some(record) }
    }

    func delete(target: String, dedupKey: String) async throws {
        changes.withLock { $0[Key(target: target, dedupKey: dedupKey)] = .some(nil) }
    }

    func pendingIntents(target: String) async throws -> [IncidentRecord] {
        try await base.pendingIntents(target: target).filter { record in
            changes.withLock { $0[Key(target: target, dedupKey: record.dedupKey)] } == nil
        }
    }

    func audit(_ entries: [DecisionRecord]) async throws {}

    func cachedRecord(target: String, dedupKey: String) -> IncidentRecord? {
        if let changed = changes.withLock({ $0[Key(target: target, dedupKey: dedupKey)] }) { return changed }
        return base.cachedRecord(target: target, dedupKey: dedupKey)
    }

    func saveMember(_ member: GroupMember) async throws -> [GroupMember] {
        try await members.saveMember(member)
    }

    func deleteMembers(target: String, groupKey: String) async throws {
        try await members.deleteMembers(target: target, groupKey: groupKey)
    }
}

/// The dead-letter sink of a dry run: nothing is written; the letter is only reported.
struct DiscardingDeadLetterSink: DeadLetterSink {
    var destination: String { "(dry run: not written)" }
    func publish(_ letter: DeadLetter) async throws {}
}

public import Normalizer

/// What the runner is doing right now, for readiness: what it holds, what holds each partition back, and whether it
/// is still settling what a crash left.
public struct RunnerProgress: Sendable, Hashable {
    /// A partition's oldest unfinished message: its committed offset cannot move past it.
    public struct Oldest: Sendable, Hashable {
        /// Where the message is.
        public var position: MessagePosition
        /// When the runner took it.
        public var since: Timestamp

        /// Creates an entry.
        public init(position: MessagePosition, since: Timestamp) {
            self.position = position
            self.since = since
        }
    }

    /// The partitions the runner holds.
    public var assigned: [PartitionID]
    /// Since when the runner has held no partition (from its start, or its last revocation); `nil` while it holds
    /// some.
    public var unassignedSince: Timestamp?
    /// The oldest unfinished message of each partition that has one.
    public var oldest: [Oldest]
    /// Whether the runner is settling creates a crash interrupted, before it takes messages.
    public var restoring: Bool

    /// Creates a report.
    public init(assigned: [PartitionID], unassignedSince: Timestamp?, oldest: [Oldest], restoring: Bool) {
        self.assigned = assigned
        self.unassignedSince = unassignedSince
        self.oldest = oldest
        self.restoring = restoring
    }

    /// The progress of several stages of one process as one: what any holds, the longest idle, any restoring.
    public static func combined(_ parts: [RunnerProgress]) -> RunnerProgress {
        guard parts.count > 1, let first = parts.first else {
            return parts.first ?? RunnerProgress(assigned: [], unassignedSince: nil, oldest: [], restoring: false)
        }
        let idle = parts.compactMap(\.unassignedSince)
        return RunnerProgress(
            assigned: parts.flatMap(\.assigned).sorted(),
            unassignedSince: idle.count == parts.count ? idle.min() : nil,
            oldest: parts.flatMap(\.oldest),
            restoring: parts.contains { $0.restoring } || first.restoring
        )
    }
}

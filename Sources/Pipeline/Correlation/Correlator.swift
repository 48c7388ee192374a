public import Normalizer

/// Turns events into decisions against the incident state: create, update, resolve, or leave alone.
///
/// The correlator sees one dedup key at a time (the runner's lanes guarantee it), so it needs no locking of its own.
public struct Correlator: Sendable {
    /// What to do with one event.
    public enum Decision: Sendable, Hashable {
        /// Send this command.
        case send(IncidentCommand)
        /// Firing again with nothing a person would care about changed: count it, send nothing.
        case suppress(reason: String)
        /// Nothing to do (resolved with nothing open, a reply with nothing open).
        case ignore(reason: String)
        /// Older than what the incident already shows: dropped so it cannot undo newer state.
        case stale(reason: String)
        /// A new problem during a storm: counted in its source's aggregate incident instead of opening its own.
        case fold(reason: String)

        /// A short name for metrics: create/update/resolve/comment/suppress/ignore/stale.
        public var name: String {
            switch self {
            case .send(let command): command.action.rawValue
            case .suppress: "suppress"
            case .ignore: "ignore"
            case .stale: "stale"
            case .fold: "fold"
            }
        }

        /// Whether the event was dropped as stale.
        public var isStale: Bool {
            if case .stale = self { return true }
            return false
        }

        /// Why, in words, for logs and the audit trail.
        public var reason: String {
            switch self {
            case .send(let command): command.reason
            case .suppress(let reason), .ignore(let reason), .stale(let reason), .fold(let reason): reason
            }
        }
    }

    let store: any IncidentStateStore
    /// The target whose incidents this correlator tracks.
    public let target: String
    /// How soon after its resolve a key firing again reopens its incident instead of opening a new one; zero
    /// (the default) always opens a new one. Only for targets that can reopen.
    public let reopenWindow: Duration

    /// Creates a correlator over `store` for `target`.
    public init(store: any IncidentStateStore, target: String, reopenWindow: Duration = .zero) {
        self.store = store
        self.target = target
        self.reopenWindow = reopenWindow
    }

    /// Decides what `event` needs, from the stored record for its key.
    /// - Parameter now: the current time, for the reopen window of events that carry no time.
    public func decide(_ event: NormalizedEvent, now: Timestamp? = nil) async throws -> Decision {
        decide(event, record: try await store.record(target: target, dedupKey: event.dedupKey), now: now)
    }

    /// The decision rules with this correlator's reopen window.
    /// - Parameter position: where the event's message was read, to tell a redelivery from a newer event.
    public func decide(
        _ event: NormalizedEvent,
        record: IncidentRecord?,
        position: MessagePosition? = nil,
        now: Timestamp? = nil
    ) -> Decision {
        Self.decide(event, record: record, position: position, reopenWindow: reopenWindow, now: now)
    }

    /// The time an event speaks for: when it resolved for resolves, when it happened otherwise.
    static func eventTime(_ event: NormalizedEvent) -> Timestamp? {
        event.status == .resolved ? (event.resolvedAt ?? event.occurredAt) : event.occurredAt
    }

    /// The decision rules, pure: the event and what is known about its key.
    ///
    /// - firing, nothing open → create; a key resolved less than `reopenWindow` ago (by the event's time, or
    ///   `now` for events without one) → reopen its incident instead;
    /// - firing, open → update when severity, title, description or status changed, otherwise suppress;
    ///   a reply in the incident's thread → comment;
    /// - resolved, open → resolve; resolved, nothing open → ignore;
    /// - an event older than the last applied one for the key → stale, dropped: older by event time, or, for equal
    ///   (or missing) times, read from an earlier offset of the partition the last applied event came from (a
    ///   redelivery after a crash carries older content with the same time).
    public static func decide(
        _ event: NormalizedEvent,
        record: IncidentRecord?,
        position: MessagePosition? = nil,
        reopenWindow: Duration = .zero,
        now: Timestamp? = nil
    ) -> Decision {
        if let record, let stale = staleness(of: event, at: position, against: record) { return .stale(reason: stale) }
        switch event.status {
        case .firing, .acknowledged:
            guard let record, record.isOpen, let externalID = record.externalID else {
                guard event.opensIncident else {
                    return .ignore(reason: "this event only changes an open incident, and none is open")
                }
                if reopenWindow > .zero, let record, record.status == .resolved, record.pending == nil,
                    let externalID = record.externalID, let resolvedAt = record.resolvedAt,
                    let time = event.occurredAt ?? now, time.duration(since: resolvedAt) <= reopenWindow
                {
                    return .send(
                        IncidentCommand(
                            action: .reopen,
                            dedupKey: event.dedupKey,
                            externalID: externalID,
                            event: event,
                            reason: "firing again within \(reopenWindow) of its resolve"
                        )
                    )
                }
                let reason =
                    switch record?.status {
                    case nil: "new problem"
                    case .resolved?: "firing again after it was resolved"
                    case .open?: "a create interrupted before its answer was recorded, not found at the target"
                    }
                return .send(IncidentCommand(action: .create, dedupKey: event.dedupKey, event: event, reason: reason))
            }
            guard event.carriesContent else {
                return .suppress(reason: "a state change without content; nothing to update")
            }
            if event.isReply {
                // A person writing in the incident's thread: their words go on the incident, its fields stay.
                return .send(
                    IncidentCommand(
                        action: .comment,
                        dedupKey: event.dedupKey,
                        externalID: externalID,
                        event: event,
                        reason: "a reply in the incident's thread"
                    )
                )
            }
            guard contentHash(event) != record.contentHash else {
                return .suppress(reason: "duplicate: nothing a person would care about changed")
            }
            return .send(
                IncidentCommand(
                    action: .update,
                    dedupKey: event.dedupKey,
                    externalID: externalID,
                    event: event,
                    reason: "severity, title, description or status changed"
                )
            )
        case .resolved:
            guard let record, record.isOpen, let externalID = record.externalID else {
                return .ignore(reason: "resolved with nothing open")
            }
            return .send(
                IncidentCommand(
                    action: .resolve,
                    dedupKey: event.dedupKey,
                    externalID: externalID,
                    event: event,
                    reason: "resolved at the source"
                )
            )
        }
    }

    /// Why `event` (read at `position`) is older than what `record` already applied, or `nil` when it is not.
    static func staleness(
        of event: NormalizedEvent,
        at position: MessagePosition?,
        against record: IncidentRecord
    )
        -> String?
    {
        let time = eventTime(event)
        if let time, let last = record.lastEventAt, time != last {
            return time < last ? "event time \(time) is older than the last applied event (\(last))" : nil
        }
        guard let position, let applied = record.lastPosition, position.partition == applied.partition,
            position.offset < applied.offset
        else { return nil }
        return "read at \(position), before the last applied event (\(applied)) with the same event time: a redelivery"
    }

    /// Records the intent to create before the call, so a crash during it is found on the next start.
    public func beginCreate(_ command: IncidentCommand, at now: Timestamp) async throws {
        var record =
            try await store.record(target: target, dedupKey: command.dedupKey)
            ?? IncidentRecord(
                target: target,
                dedupKey: command.dedupKey,
                externalID: nil,
                status: .open,
                contentHash: 0,
                lastEventAt: nil,
                createdAt: now
            )
        record.pending = IncidentRecord.PendingIntent(action: .create, since: now)
        record.updatedAt = now
        try await store.save(record)
    }

    /// Clears the intent of a create that failed for good: the key is as it was before.
    public func createFailed(_ command: IncidentCommand, at now: Timestamp) async throws {
        guard var record = try await store.record(target: target, dedupKey: command.dedupKey) else { return }
        guard record.externalID != nil else {
            try await store.delete(target: target, dedupKey: command.dedupKey)
            return
        }
        record.pending = nil
        record.updatedAt = now
        try await store.save(record)
    }

    /// The stored record for a key at this target.
    public func record(for dedupKey: String) async throws -> IncidentRecord? {
        try await store.record(target: target, dedupKey: dedupKey)
    }

    /// The record for a key if the store has it at hand without I/O.
    public func cachedRecord(for dedupKey: String) -> IncidentRecord? {
        store.cachedRecord(target: target, dedupKey: dedupKey)
    }

    /// Records `event` as a member of its group and returns the group's incident as one event.
    /// - Returns: `nil` when the member's event is older than what the group already has for it (stale).
    public func aggregate(
        _ event: NormalizedEvent,
        memberKey: String,
        grouping: Grouping,
        at now: Timestamp
    ) async throws -> NormalizedEvent {
        let groupKey = event.dedupKey
        let member = GroupMember(
            target: target,
            groupKey: groupKey,
            memberKey: memberKey,
            status: event.status,
            severity: event.severity,
            title: event.title,
            occurredAt: Self.eventTime(event),
            firstSeen: now
        )
        let members = try await store.saveMember(member)
        return grouping.aggregate(members: members, trigger: event, groupKey: groupKey)
    }

    /// Forgets a group's members once its incident is resolved, so the next firing starts a fresh group.
    public func groupResolved(_ groupKey: String) async throws {
        try await store.deleteMembers(target: target, groupKey: groupKey)
    }

    /// Records with an unanswered create at this target (interrupted by a crash), oldest first.
    public func pendingIntents() async throws -> [IncidentRecord] {
        try await store.pendingIntents(target: target)
    }

    /// How an interrupted create was settled.
    public enum Reconciliation: String, Sendable {
        /// The lookup found the incident at the target: its id is recorded, nothing is created again.
        case found
        /// The lookup found nothing: the create never happened and may be made again.
        case notFound = "not_found"
        /// The target cannot look incidents up: the next create for the key may open a second incident.
        case unverifiable
    }

    /// Settles the pending create of `record` and returns the record as it now stands (`nil` when the key has no
    /// history left).
    public func reconcile(
        _ record: IncidentRecord,
        as outcome: Reconciliation,
        externalID: String? = nil,
        at now: Timestamp
    ) async throws -> IncidentRecord? {
        var settled = record
        settled.pending = nil
        settled.updatedAt = now
        let reason: String
        switch outcome {
        case .found:
            settled.externalID = externalID
            settled.status = .open
            settled.resolvedAt = nil
            reason = "a create interrupted by a restart was found at the target by its external reference"
        case .notFound:
            reason = "a create interrupted by a restart is not at the target; the next event creates it"
        case .unverifiable:
            reason =
                "a create interrupted by a restart cannot be looked up at this target; the next create may duplicate it"
        }
        let entry = DecisionRecord(
            at: now,
            target: target,
            dedupKey: record.dedupKey,
            decision: "reconcile_\(outcome.rawValue)",
            reason: reason,
            externalID: settled.externalID
        )
        guard settled.externalID != nil else {
            try await store.delete(target: target, dedupKey: record.dedupKey)
            try await store.audit([entry])
            return nil
        }
        try await store.save(settled, decisions: [entry])
        return settled
    }

    /// Records an open incident that a lookup found at the target for a key with no state (a wiped disk, a lost
    /// changelog), so the key's event updates or resolves it instead of creating a second one.
    ///
    /// The record has no content hash, no last event and no update time: the event that caused the lookup is
    /// decided against it as the first news of the incident (an update is sent, not held back or suppressed).
    /// - Returns: the record as stored.
    public func adopt(
        externalID: String,
        for dedupKey: String,
        at now: Timestamp,
        origin: String? = nil
    ) async throws -> IncidentRecord {
        let record = IncidentRecord(
            target: target,
            dedupKey: dedupKey,
            externalID: externalID,
            status: .open,
            contentHash: 0,
            lastEventAt: nil,
            createdAt: now
        )
        let entry = DecisionRecord(
            at: now,
            target: target,
            dedupKey: dedupKey,
            decision: "adopt",
            reason: "no state for the key; a lookup at the target found its open incident",
            externalID: externalID,
            origin: origin
        )
        try await store.save(record, decisions: [entry])
        return record
    }

    /// Keeps a decision that sends nothing (ignore, stale) in the audit trail; suppressions are only counted.
    public func audit(
        _ decision: Decision,
        for event: NormalizedEvent,
        at now: Timestamp,
        origin: String? = nil,
        position: MessagePosition? = nil
    ) async throws {
        switch decision {
        case .ignore, .stale, .fold:
            let entry = DecisionRecord(
                at: now,
                target: target,
                dedupKey: event.dedupKey,
                decision: decision.name,
                reason: decision.reason,
                origin: origin
            )
            // A resolve for a key the worker knows nothing of is remembered (without an incident): a firing of the
            // same problem that arrives later but happened earlier (it came in on another partition, or was
            // delayed upstream) is then stale, instead of opening an incident nobody will resolve.
            if case .ignore = decision, event.status == .resolved,
                try await store.record(target: target, dedupKey: event.dedupKey) == nil
            {
                let marker = IncidentRecord(
                    target: target,
                    dedupKey: event.dedupKey,
                    externalID: nil,
                    status: .resolved,
                    contentHash: 0,
                    lastEventAt: Self.eventTime(event) ?? now,
                    createdAt: now,
                    updatedAt: now,
                    resolvedAt: event.resolvedAt ?? now,
                    lastPosition: position
                )
                try await store.save(marker, decisions: [entry])
                return
            }
            try await store.audit([entry])
        case .send, .suppress:
            return
        }
    }

    /// Records that the target applied `command`, with the decision in the audit trail.
    /// - Parameters:
    ///   - externalID: the id the target returned, required for creates.
    ///   - position: where the command's event was read; kept as the key's last applied position.
    public func applied(
        _ command: IncidentCommand,
        externalID: String?,
        at now: Timestamp? = nil,
        origin: String? = nil,
        position: MessagePosition? = nil
    ) async throws {
        let event = command.event
        let existing = try await store.record(target: target, dedupKey: command.dedupKey)
        var record: IncidentRecord
        switch command.action {
        case .create:
            guard let externalID else { return }
            record = IncidentRecord(
                target: target,
                dedupKey: command.dedupKey,
                externalID: externalID,
                status: .open,
                contentHash: Self.contentHash(event),
                lastEventAt: Self.eventTime(event),
                createdAt: now ?? existing?.createdAt,
                updatedAt: now,
                lastPosition: position
            )
        case .update, .resolve, .comment, .reopen:
            guard let existing else { return }
            record = existing
            if command.action == .update || command.action == .reopen {
                record.contentHash = Self.contentHash(event)
                record.updateCount += 1
            }
            if command.action == .reopen {
                record.status = .open
                record.resolvedAt = nil
            }
            if command.action == .resolve {
                record.status = .resolved
                record.resolvedAt = event.resolvedAt ?? now
            }
            record.lastEventAt = [record.lastEventAt, Self.eventTime(event)].compactMap { $0 }.max()
            if let position { record.lastPosition = position }
            record.updatedAt = now
        }
        let entry = DecisionRecord(
            at: now ?? Self.eventTime(event) ?? Timestamp(millisecondsSinceEpoch: 0),
            target: target,
            dedupKey: command.dedupKey,
            decision: command.action.rawValue,
            reason: command.reason,
            externalID: record.externalID,
            origin: origin
        )
        try await store.save(record, decisions: [entry])
    }

    /// FNV-1a over the fields that make an update worth sending.
    static func contentHash(_ event: NormalizedEvent) -> UInt64 {
        var hash = FNV1a()
        for part in [event.severity.rawValue, event.title, event.description, event.status.rawValue] {
            hash.combine(part)
            hash.combine(0xFF)
        }
        return hash.value
    }
}

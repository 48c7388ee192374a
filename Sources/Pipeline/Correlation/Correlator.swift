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
        /// Nothing to do (resolved with nothing open).
        case ignore(reason: String)

        /// A short name for metrics: create/update/resolve/comment/suppress/ignore.
        public var name: String {
            switch self {
            case .send(let command): command.action.rawValue
            case .suppress: "suppress"
            case .ignore: "ignore"
            }
        }
    }

    private let store: any IncidentStateStore
    /// The target whose incidents this correlator tracks.
    public let target: String

    /// Creates a correlator over `store` for `target`.
    public init(store: any IncidentStateStore, target: String) {
        self.store = store
        self.target = target
    }

    /// Decides what `event` needs.
    public func decide(_ event: NormalizedEvent) async throws -> Decision {
        let record = try await store.record(target: target, dedupKey: event.dedupKey)
        switch event.status {
        case .firing, .acknowledged:
            guard let record, record.status == .open else {
                guard event.opensIncident else {
                    return .ignore(reason: "this event only changes an open incident, and none is open")
                }
                let reason = record == nil ? "new problem" : "firing again after it was resolved"
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
                        externalID: record.externalID,
                        event: event,
                        reason: "a reply in the incident's thread"
                    )
                )
            }
            guard Self.contentHash(event) != record.contentHash else {
                return .suppress(reason: "duplicate: nothing a person would care about changed")
            }
            return .send(
                IncidentCommand(
                    action: .update,
                    dedupKey: event.dedupKey,
                    externalID: record.externalID,
                    event: event,
                    reason: "severity, title, description or status changed"
                )
            )
        case .resolved:
            guard let record, record.status == .open else {
                return .ignore(reason: "resolved with nothing open")
            }
            return .send(
                IncidentCommand(
                    action: .resolve,
                    dedupKey: event.dedupKey,
                    externalID: record.externalID,
                    event: event,
                    reason: "resolved at the source"
                )
            )
        }
    }

    /// Records that the target applied `command`.
    /// - Parameter externalID: the id the target returned, required for creates.
    public func applied(_ command: IncidentCommand, externalID: String?) async throws {
        let event = command.event
        switch command.action {
        case .create:
            guard let externalID else { return }
            try await store.save(
                IncidentRecord(
                    target: target,
                    dedupKey: command.dedupKey,
                    externalID: externalID,
                    status: .open,
                    contentHash: Self.contentHash(event),
                    lastEventAt: event.occurredAt
                )
            )
        case .update, .resolve, .comment:
            guard var record = try await store.record(target: target, dedupKey: command.dedupKey) else { return }
            if command.action == .update {
                record.contentHash = Self.contentHash(event)
                record.updateCount += 1
            }
            if command.action == .resolve {
                record.status = .resolved
            }
            record.lastEventAt = [record.lastEventAt, event.resolvedAt ?? event.occurredAt].compactMap { $0 }.max()
            try await store.save(record)
        }
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

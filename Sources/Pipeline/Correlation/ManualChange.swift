public import Normalizer

/// A change a person asks for (`ingestor incidents forget|resolve`), carried to the key's owner the way its events
/// travel: a raw record with the ``header`` (value: the change's JSON), which the normalize step turns into an event of
/// source `ingestor` keyed by the dedup key, so it reaches the worker (and the events partition) that owns the key,
/// in order with the key's other events, and is applied and audited through the same state store as every change.
public struct ManualChange: Sendable, Hashable {
    /// What to do.
    public enum Action: String, Sendable, Hashable, CaseIterable {
        /// Drop the key's record: its next firing opens a new incident.
        case forget
        /// Mark the key's incident resolved without calling the target (it was closed there by hand): its updates
        /// stop, and its next firing opens a new incident.
        case resolve
    }

    /// The raw record header that marks a control record.
    public static let header = "ingestor-control"
    /// The source of the event a change travels as; no decoder names its events so (each has a fixed source name),
    /// so a sender's payload cannot pass for a change.
    static let source = "ingestor"
    private static let actionLabel = "ingestor.manual"
    private static let targetLabel = "ingestor.manual.target"
    private static let byLabel = "ingestor.manual.by"

    /// What to do.
    public var action: Action
    /// The dedup key (a group's key for a grouped source), as `ingestor incidents list` shows it.
    public var dedupKey: String
    /// The target whose record changes; `nil` for the worker's own.
    public var target: String?
    /// Why, in the person's words.
    public var reason: String
    /// Who asked (user and host).
    public var by: String
    /// When it was asked.
    public var at: Timestamp

    /// Creates a change.
    public init(action: Action, dedupKey: String, target: String?, reason: String, by: String, at: Timestamp) {
        self.action = action
        self.dedupKey = dedupKey
        self.target = target
        self.reason = reason
        self.by = by
        self.at = at
    }

    /// The control record's value.
    public var value: [UInt8] {
        var object = JSONObject()
        object["action"] = .string(action.rawValue)
        object["dedupKey"] = .string(dedupKey)
        object["target"] = target.map(JSONValue.string) ?? .null
        object["reason"] = .string(reason)
        object["by"] = .string(by)
        object["at"] = .number(String(at.millisecondsSinceEpoch))
        return JSONWriter.bytes(.object(object))
    }

    /// Why a control record cannot be read.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a control record's value.
    public init(value: [UInt8]) throws(Invalid) {
        guard let json = try? JSONParser().parse(value) else {
            throw Invalid(description: "the value is not JSON")
        }
        guard let actionName = json["action"]?.string, let action = Action(rawValue: actionName) else {
            throw Invalid(
                description: "`action` must be one of \(Action.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard let dedupKey = json["dedupKey"]?.string, !dedupKey.isEmpty else {
            throw Invalid(description: "`dedupKey` must name a key")
        }
        self.init(
            action: action,
            dedupKey: dedupKey,
            target: json["target"]?.string,
            reason: json["reason"]?.string ?? "",
            by: json["by"]?.string ?? "",
            at: json["at"]?.int64.map(Timestamp.init(millisecondsSinceEpoch:)) ?? Timestamp(millisecondsSinceEpoch: 0)
        )
    }

    /// The event the change travels as, from the normalize step on.
    public var event: NormalizedEvent {
        var labels = [Self.actionLabel: action.rawValue, Self.byLabel: by]
        if let target { labels[Self.targetLabel] = target }
        return NormalizedEvent(
            source: Self.source,
            dedupKey: dedupKey,
            status: action == .resolve ? .resolved : .firing,
            severity: .info,
            title: "\(action.rawValue) by hand",
            description: reason,
            labels: labels,
            occurredAt: at,
            opensIncident: false,
            carriesContent: false
        )
    }

    /// The change `event` carries, if it carries one.
    public init?(event: NormalizedEvent) {
        guard event.source == Self.source, let name = event.labels[Self.actionLabel],
            let action = Action(rawValue: name)
        else { return nil }
        self.init(
            action: action,
            dedupKey: event.dedupKey,
            target: event.labels[Self.targetLabel],
            reason: event.description,
            by: event.labels[Self.byLabel] ?? "",
            at: event.occurredAt ?? Timestamp(millisecondsSinceEpoch: 0)
        )
    }

    /// Whether `event` carries a change (and must skip grouping, repeat filters and the fast path).
    public static func isManual(_ event: NormalizedEvent) -> Bool {
        event.source == source && event.labels[actionLabel] != nil
    }
}

extension Correlator {
    /// Applies a person's change to the key's record, with a decision in the audit trail (`forget`, `manual_resolve`,
    /// or `ignore` with the reason nothing changed). No call is made to the target.
    /// - Returns: the decision recorded.
    @discardableResult
    public func apply(_ change: ManualChange, at now: Timestamp, origin: String? = nil) async throws -> DecisionRecord {
        let who = change.by.isEmpty ? "" : " by \(change.by)"
        let why = change.reason.isEmpty ? "" : ": \(change.reason)"
        func entry(_ decision: String, _ reason: String, externalID: String? = nil) -> DecisionRecord {
            DecisionRecord(
                at: now,
                target: target,
                dedupKey: change.dedupKey,
                decision: decision,
                reason: reason,
                externalID: externalID,
                origin: origin
            )
        }
        if let other = change.target, other != target {
            let ignored = entry(
                "ignore",
                "\(change.action.rawValue)\(who) names target \(other); this worker delivers to \(target)"
            )
            try await store.audit([ignored])
            return ignored
        }
        guard var record = try await store.record(target: target, dedupKey: change.dedupKey) else {
            let ignored = entry("ignore", "\(change.action.rawValue)\(who): nothing is recorded for this key")
            try await store.audit([ignored])
            return ignored
        }
        switch change.action {
        case .forget:
            let forgotten = entry("forget", "forgotten by hand\(who)\(why)", externalID: record.externalID)
            try await store.delete(target: target, dedupKey: change.dedupKey)
            try await store.deleteMembers(target: target, groupKey: change.dedupKey)
            try await store.audit([forgotten])
            return forgotten
        case .resolve:
            if record.pending != nil {
                let ignored = entry(
                    "ignore",
                    "resolve\(who): a create for this key is not settled yet; try again once `incidents show` has no pending intent",
                    externalID: record.externalID
                )
                try await store.audit([ignored])
                return ignored
            }
            guard record.status == .open else {
                let ignored = entry("ignore", "resolve\(who): already resolved", externalID: record.externalID)
                try await store.audit([ignored])
                return ignored
            }
            record.status = .resolved
            record.resolvedAt = now
            record.updatedAt = now
            let resolved = entry(
                "manual_resolve",
                "resolved by hand\(who), no call to the target\(why)",
                externalID: record.externalID
            )
            try await store.save(record, decisions: [resolved])
            try await store.deleteMembers(target: target, groupKey: change.dedupKey)
            return resolved
        }
    }
}

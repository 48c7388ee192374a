public import Normalizer

/// `sources[].group_by`: alerts of one topic whose values for `labels` are equal share one incident; each alert is a
/// member of the group. The group's incident shows its firing members and resolves when the last one resolves.
/// With a `wait`, the first member's create is held that long so members arriving together open one incident.
public struct Grouping: Sendable, Hashable {
    /// The labels whose values form the group.
    public var labels: [String]
    /// How long a new group's create is held for more members; zero creates at once.
    public var wait: Duration

    /// Creates a grouping.
    public init(labels: [String], wait: Duration = .zero) {
        self.labels = labels
        self.wait = wait
    }

    /// The group's dedup key for `event`: its source and its values of the grouping labels.
    public func groupKey(for event: NormalizedEvent) -> String {
        "group:\(event.source):" + labels.map { "\($0)=\(event.labels[$0] ?? "")" }.joined(separator: ",")
    }
}

/// One alert's place in its group, as the state store keeps it.
public struct GroupMember: Sendable, Hashable {
    /// The target.
    public var target: String
    /// The group's dedup key.
    public var groupKey: String
    /// The alert's own dedup key.
    public var memberKey: String
    /// Firing (or acknowledged) or resolved.
    public var status: AlertStatus
    /// The alert's severity.
    public var severity: Severity
    /// The alert's title.
    public var title: String
    /// The alert's last event time.
    public var occurredAt: Timestamp?
    /// When the worker first saw the alert in this group (orders the members).
    public var firstSeen: Timestamp

    /// Creates a member.
    public init(
        target: String,
        groupKey: String,
        memberKey: String,
        status: AlertStatus,
        severity: Severity,
        title: String,
        occurredAt: Timestamp?,
        firstSeen: Timestamp
    ) {
        self.target = target
        self.groupKey = groupKey
        self.memberKey = memberKey
        self.status = status
        self.severity = severity
        self.title = title
        self.occurredAt = occurredAt
        self.firstSeen = firstSeen
    }
}

extension Grouping {
    /// Most members listed in a group incident's description.
    static let listed = 50

    /// The group's incident as one event, from its members (in first-seen order) and the event that changed it.
    public func aggregate(members: [GroupMember], trigger event: NormalizedEvent, groupKey: String) -> NormalizedEvent {
        let ordered = members.sorted { ($0.firstSeen, $0.memberKey) < ($1.firstSeen, $1.memberKey) }
        let firing = ordered.filter { $0.status != .resolved }
        let resolved = ordered.filter { $0.status == .resolved }
        let shown = firing.isEmpty ? ordered : firing
        let lead = shown.first?.title ?? event.title
        let title = shown.count > 1 ? "\(lead) (+\(shown.count - 1) more)" : lead
        var description = "Grouped by " + labels.map { "\($0)=\(event.labels[$0] ?? "")" }.joined(separator: ", ")
        func list(_ heading: String, _ members: [GroupMember]) {
            guard !members.isEmpty else { return }
            description += "\n\n\(heading) (\(members.count)):\n"
            description += members.prefix(Self.listed).map {
                "- \($0.title) [\($0.severity.rawValue)] (\($0.memberKey))"
            }
            .joined(separator: "\n")
            if members.count > Self.listed { description += "\n- … and \(members.count - Self.listed) more" }
        }
        list("Firing", firing)
        list("Resolved", resolved)
        let severity = shown.map(\.severity).max { StormGuard.rank($0) < StormGuard.rank($1) } ?? event.severity
        var labels: [String: String] = [:]
        for label in self.labels { labels[label] = event.labels[label] ?? "" }
        let times = shown.compactMap(\.occurredAt)
        return NormalizedEvent(
            source: event.source,
            dedupKey: groupKey,
            status: firing.isEmpty
                ? .resolved : (firing.allSatisfy { $0.status == .acknowledged } ? .acknowledged : .firing),
            severity: severity,
            title: title,
            description: description,
            labels: labels,
            links: event.links,
            occurredAt: times.max(),
            resolvedAt: firing.isEmpty ? (event.resolvedAt ?? event.occurredAt) : nil
        )
    }
}

import DequeModule
public import Normalizer
import Synchronization

/// Per source, a limit on new incidents: past `maxNewPerMinute` creates in the last minute, new problems are folded
/// into one aggregate incident per source (counts and samples) instead of each opening its own. Severities in
/// `passThrough` (default critical) always get their own incident, and resolves are never held back (a folded
/// problem has no incident of its own to resolve). The storm ends after `quietPeriod` without a folded problem:
/// the aggregate incident is resolved.
///
/// Counts live in memory: after a restart the aggregate incident (which is durable, like any incident) is kept
/// and counting starts again from zero.
public final class StormGuard: Sendable {
    /// The guard's settings (`pipeline.storm_guard.*`).
    public struct Settings: Sendable, Hashable {
        /// New incidents per source per rolling minute before problems are folded; zero turns the guard off.
        public var maxNewPerMinute: Int = 0
        /// Least time between two updates of the aggregate incident; default 30 s.
        public var updateInterval: Duration = .seconds(30)
        /// A storm ends after this long without a folded problem; default 10 min.
        public var quietPeriod: Duration = .seconds(600)
        /// Sample problems listed in the aggregate incident; default 10.
        public var samples: Int = 10
        /// Severities that always get their own incident; default critical.
        public var passThrough: Set<Severity> = [.critical]

        /// Creates settings with the documented defaults (guard off).
        public init() {}

        /// Whether the guard is on.
        public var isEnabled: Bool { maxNewPerMinute > 0 }
    }

    /// One source's storm as the aggregate incident shows it.
    public struct Storm: Sendable, Hashable {
        /// The source.
        public var source: String
        /// Distinct problems folded since the storm began.
        public var folded: Int
        /// When the first problem was folded.
        public var since: Timestamp
        /// When the last one was.
        public var lastFoldAt: Timestamp
        /// The first few folded problems: title and dedup key.
        public var samples: [(title: String, key: String)]
        /// The highest severity folded.
        public var severity: Severity

        public static func == (lhs: Storm, rhs: Storm) -> Bool {
            lhs.source == rhs.source && lhs.folded == rhs.folded && lhs.since == rhs.since
                && lhs.lastFoldAt == rhs.lastFoldAt && lhs.severity == rhs.severity
                && lhs.samples.map(\.key) == rhs.samples.map(\.key)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(source)
            hasher.combine(folded)
        }
    }

    private struct SourceState {
        var creates: Deque<Timestamp> = []
        var storm: Storm?
        var foldedKeys: Set<String> = []
    }

    /// The settings.
    public let settings: Settings
    private let sources = Mutex<[String: SourceState]>([:])
    private let share = Mutex(1.0)
    /// Most distinct keys remembered per storm, so a repeat is not counted twice; past it repeats count again.
    static let keyMemory = 100_000

    /// Creates a guard.
    public init(settings: Settings) {
        self.settings = settings
    }

    /// Uses `share` (0 < share ≤ 1) of `maxNewPerMinute` from now on: this worker's share of the events partitions,
    /// so that several delivery workers together fold past about the configured number of new problems a minute.
    public func setShare(_ share: Double) {
        self.share.withLock { $0 = min(1, max(share, 0.000_001)) }
    }

    /// The new problems per source per minute this worker lets through before it folds: `maxNewPerMinute`, or its
    /// share of it (rounded up, at least 1) when it shares the work with other workers.
    public var limit: Int {
        let share = share.withLock { $0 }
        return max(1, Int((Double(settings.maxNewPerMinute) * share).rounded(.up)))
    }

    /// The dedup key of a source's aggregate incident.
    public static func aggregateKey(for source: String) -> String { aggregateKeyPrefix + source }

    /// The prefix of every aggregate incident's dedup key.
    public static let aggregateKeyPrefix = "ingestor-storm:"

    /// Decides whether a create for `event` may go ahead (and counts it), or must be folded.
    public func admitCreate(_ event: NormalizedEvent, at now: Timestamp) -> Bool {
        guard settings.isEnabled, !settings.passThrough.contains(event.severity) else { return true }
        let limit = limit
        return sources.withLock { sources in
            var state = sources[event.source] ?? SourceState()
            defer { sources[event.source] = state }
            let cutoff = now.advanced(by: .seconds(-60))
            while let first = state.creates.first, first <= cutoff { state.creates.removeFirst() }
            guard state.creates.count < limit else { return false }
            state.creates.append(now)
            return true
        }
    }

    /// Folds `event` into its source's storm; returns the storm as it now stands.
    public func fold(_ event: NormalizedEvent, at now: Timestamp) -> Storm {
        sources.withLock { sources in
            var state = sources[event.source] ?? SourceState()
            var storm =
                state.storm
                ?? Storm(source: event.source, folded: 0, since: now, lastFoldAt: now, samples: [], severity: .info)
            storm.lastFoldAt = now
            let isNew = state.foldedKeys.count >= Self.keyMemory || state.foldedKeys.insert(event.dedupKey).inserted
            if isNew {
                storm.folded += 1
                if storm.samples.count < settings.samples { storm.samples.append((event.title, event.dedupKey)) }
                if Self.rank(event.severity) > Self.rank(storm.severity) { storm.severity = event.severity }
            }
            state.storm = storm
            sources[event.source] = state
            return storm
        }
    }

    /// Storms in progress.
    public var storms: [Storm] { sources.withLock { $0.values.compactMap(\.storm) } }

    /// Ends the storm of `source` (after its aggregate incident was resolved).
    public func end(_ source: String) {
        sources.withLock { sources in
            sources[source]?.storm = nil
            sources[source]?.foldedKeys = []
        }
    }

    /// The aggregate incident's event for `storm`: firing while it lasts, resolved when it ended.
    public static func aggregateEvent(_ storm: Storm, limit: Int, resolvedAt: Timestamp? = nil) -> NormalizedEvent {
        var description = """
            More than \(limit) new problems a minute arrived from \(storm.source) since \(storm.since.rfc3339). \
            Instead of opening an incident for each, ingestor counts them here (critical alerts still get their own).
            """
        if !storm.samples.isEmpty {
            description += "\n\nFirst problems held back:\n"
            description += storm.samples.map { "- \($0.title) (\($0.key))" }.joined(separator: "\n")
        }
        return NormalizedEvent(
            source: storm.source,
            dedupKey: aggregateKey(for: storm.source),
            status: resolvedAt == nil ? .firing : .resolved,
            severity: storm.severity,
            title: "Alert storm from \(storm.source): \(storm.folded) new problems held back",
            description: description,
            labels: ["ingestor_storm": storm.source],
            occurredAt: storm.since,
            resolvedAt: resolvedAt
        )
    }

    static func rank(_ severity: Severity) -> Int {
        switch severity {
        case .critical: 4
        case .high: 3
        case .medium: 2
        case .low: 1
        case .info: 0
        }
    }
}

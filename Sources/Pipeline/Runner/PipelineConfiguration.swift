public import Normalizer

/// Settings of the pipeline runner.
public struct PipelineConfiguration: Sendable, Hashable {
    /// The decoder and its options per source topic; topics not listed use ``defaultRoute``.
    public var routes: [String: SourceRoute] = [:]
    /// The route for topics without one; default `auto` detection with default options.
    public var defaultRoute = SourceRoute()
    /// Parallel lanes; events of one dedup key always use the same lane, in order; default 16.
    public var lanes: Int = 16
    /// Most events in flight at once (normalized and not finished); the intake waits beyond it; default 1,000.
    public var maxInFlightEvents: Int = 1000
    /// How soon after its resolve a key firing again reopens the incident (on targets that can); zero, the
    /// default, always opens a new incident.
    public var reopenWindow: Duration = .zero
    /// `sources[].group_by` per topic: alerts sharing the labels' values share one incident.
    public var groupings: [String: Grouping] = [:]
    /// The storm guard; off by default.
    public var stormGuard = StormGuard.Settings()
    /// How long the intake waits for room when in-flight work is full before it pauses the partitions; default
    /// 1 s. Short stalls are waited out (resuming a partition costs a refetch); long ones pause, so the consumer
    /// keeps polling and stays in its group. Zero pauses at once.
    public var pauseAfter: Duration = .seconds(1)
    /// Least time between two calls for one dedup key before an update is sent; an update due sooner is held back
    /// and replaced by newer events for the key (only the newest state is sent). Zero (the default) sends at once.
    public var minUpdateInterval: Duration = .zero
    /// How long a graceful shutdown waits for in-flight work before leaving it for redelivery; default 20 s.
    public var drainTimeout: Duration = .seconds(20)
    /// Replays after which a letter that keeps failing is parked (replay leaves it alone); default 3.
    public var maxReplays: Int = 3
    /// Memory for remembering what recent payloads normalized to, in bytes (approximate), so a byte-identical
    /// repeat skips decoding; default 16 MiB, zero turns it off. Only normalizations that depended on the bytes
    /// alone are kept (``RepeatMemo``).
    public var repeatMemoBytes: Int = 16 << 20
    /// The normalize stage does not write an event identical to the last one it wrote for the same record key
    /// within this long (the delivery side would suppress it); default 60 s, zero writes every event.
    public var skipRepeatsFor: Duration = .seconds(60)
    /// In the delivery stage with partitioned state, a freeze of the whole process longer than this (SIGSTOP, a
    /// stalled VM) holds calls to the target until the group has confirmed the partitions are still this
    /// worker's (``FreezeGuard``); default 15 s, a third of the default session timeout.
    public var freezeLimit: Duration = .seconds(15)
    /// The safety net for lost state: a dedup key the worker has no state for is looked up at the target (where
    /// the target can find incidents by external reference) before its event is decided, so an incident opened
    /// before the state was lost is updated or resolved instead of duplicated or left open. Costs one lookup call
    /// per key new to the state. Default `true`; targets without a lookup skip it.
    public var lookupUnknownKeys = true
    /// The version written into dead letters.
    public var workerVersion: String

    /// Creates a configuration with the documented defaults.
    public init(workerVersion: String) {
        self.workerVersion = workerVersion
    }

    /// The route for a topic.
    public func route(for topic: String) -> SourceRoute {
        routes[topic] ?? defaultRoute
    }
}

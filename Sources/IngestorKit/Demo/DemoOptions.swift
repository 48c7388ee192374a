/// Settings of `ingestor demo`.
public struct DemoOptions: Sendable {
    /// Alertmanager groups in the workload (2–5 alerts each); default 60.
    public var groups = 60
    /// Times each group is sent while firing; default 5.
    public var rounds = 5
    /// Partitions of the raw topic; default 6.
    public var partitions = 6
    /// Brokers of the embedded cluster; default 3.
    public var brokers = 3
    /// Fraction of API calls the fake answers with a 5xx; default 0.02.
    public var failRate = 0.02
    /// Every N-th API call is answered 429 with a retry hint; default 40; 0 disables.
    public var throttleEvery = 40
    /// Workload seed; default 42.
    public var seed: UInt64 = 42
    /// Give up when the workload is not finished after this long; default 120 s.
    public var timeout: Duration = .seconds(120)
    /// Keep the cluster and the fake API running after the summary, until interrupted.
    public var hold = false

    /// The defaults.
    public init() {}
}

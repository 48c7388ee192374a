import Metrics

/// The intake listener's connection metrics, made once: `ingestor_intake_open_connections` and
/// `ingestor_intake_connections_closed_total{reason}` for the connections the server closed on its own, `reason`
/// from a closed set (``ConnectionLimiter/Refusal`` and ``ConnectionDeadlines/Expiry``).
struct IntakeConnectionMetrics: Sendable {
    private let open: any RecorderHandler
    private let refused: [ConnectionLimiter.Refusal: any CounterHandler]
    private let expired: [ConnectionDeadlines.Expiry: any CounterHandler]

    /// Makes the metrics with `factory`.
    init(factory: any MetricsFactory) {
        open = factory.makeRecorder(label: "ingestor_intake_open_connections", dimensions: [], aggregate: false)
        let closed = "ingestor_intake_connections_closed_total"
        refused = Dictionary(
            uniqueKeysWithValues: ConnectionLimiter.Refusal.allCases.map {
                ($0, factory.makeCounter(label: closed, dimensions: [("reason", $0.rawValue)]))
            }
        )
        expired = Dictionary(
            uniqueKeysWithValues: ConnectionDeadlines.Expiry.allCases.map {
                ($0, factory.makeCounter(label: closed, dimensions: [("reason", $0.rawValue)]))
            }
        )
    }

    /// Records how many connections are open.
    func openConnections(_ count: Int) { open.record(Int64(count)) }

    /// Counts a connection closed as soon as it was accepted.
    func refused(_ reason: ConnectionLimiter.Refusal) { refused[reason]?.increment(by: 1) }

    /// Counts a connection closed at one of its deadlines.
    func expired(_ reason: ConnectionDeadlines.Expiry) { expired[reason]?.increment(by: 1) }
}

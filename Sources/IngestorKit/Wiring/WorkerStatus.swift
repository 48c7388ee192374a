import Synchronization

/// What `/readyz` reports: the worker's phase and the ops server's bound port.
public final class WorkerStatus: Sendable {
    /// The worker's phase.
    public enum Phase: String, Sendable {
        /// Building and connecting.
        case starting
        /// Consuming and delivering.
        case running
        /// Stopping intake and finishing in-flight work.
        case draining
        /// Stopped.
        case stopped
    }

    private let phase = Mutex(Phase.starting)
    private let port = Mutex<Int?>(nil)

    /// Creates a status in the `starting` phase.
    public init() {}

    /// The current phase.
    public var current: Phase { phase.withLock { $0 } }

    func set(_ newPhase: Phase) { phase.withLock { $0 = newPhase } }

    /// The ops server's port once it listens.
    public var opsPort: Int? { port.withLock { $0 } }

    func setOpsPort(_ value: Int) { port.withLock { $0 = value } }
}

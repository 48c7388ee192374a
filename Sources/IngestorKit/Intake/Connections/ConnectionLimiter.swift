import Synchronization

/// Counts the intake's open connections, in total and per client address, and says whether one more may open
/// (`intake.max_connections`, `intake.max_connections_per_address`).
///
/// Per-address counts live only while that address has a connection open, so the table is never larger than
/// `intake.max_connections`.
final class ConnectionLimiter: Sendable {
    /// Why a connection was refused: the `reason` label of `ingestor_intake_connections_closed_total`.
    enum Refusal: String, Sendable, CaseIterable {
        /// `intake.max_connections` were open.
        case maxConnections = "max_connections"
        /// `intake.max_connections_per_address` were open from the same address.
        case maxConnectionsPerAddress = "max_connections_per_address"
    }

    private struct Counts {
        var total = 0
        var perAddress: [String: Int] = [:]
    }

    /// `intake.max_connections`.
    let maxConnections: Int
    /// `intake.max_connections_per_address`; 0 for no limit.
    let maxConnectionsPerAddress: Int
    private let counts = Mutex(Counts())
    private let observe: @Sendable (Int) -> Void

    /// Creates a limiter with nothing open.
    /// - Parameter observe: told the number of open connections at each change, under the limiter's lock (so a
    ///   gauge never shows an older count after a newer one).
    init(maxConnections: Int, maxConnectionsPerAddress: Int, observe: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.observe = observe
    }

    /// Takes a place for a connection from `address`, or says why there is none; a connection that got its place
    /// gives it back with ``release(from:)`` when it closes.
    /// - Returns: `nil` when the connection may stay, the reason when it must be closed.
    func admit(from address: String) -> Refusal? {
        counts.withLock { counts in
            guard counts.total < maxConnections else { return .maxConnections }
            let fromAddress = counts.perAddress[address, default: 0]
            if maxConnectionsPerAddress > 0, fromAddress >= maxConnectionsPerAddress {
                return .maxConnectionsPerAddress
            }
            counts.total += 1
            counts.perAddress[address] = fromAddress + 1
            observe(counts.total)
            return nil
        }
    }

    /// Gives back the place ``admit(from:)`` gave a connection from `address`.
    func release(from address: String) {
        counts.withLock { counts in
            counts.total -= 1
            let remaining = counts.perAddress[address, default: 1] - 1
            counts.perAddress[address] = remaining > 0 ? remaining : nil
            observe(counts.total)
        }
    }

    /// Connections open now.
    var openConnections: Int { counts.withLock { $0.total } }
}

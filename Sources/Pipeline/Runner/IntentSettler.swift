import IncidentAPI
import Logging
import Normalizer
import Synchronization

/// A lookup at the target that kept failing, so its event could not be decided: what its dead letter says.
protocol FailedLookup: Error, CustomStringConvertible {
    var failure: TargetFailure { get }
    var attempts: Int { get }
    var firstFailureAt: Timestamp { get }
    var lastFailureAt: Timestamp { get }
}

/// Why a key's pending create could not be settled: looking it up kept failing.
struct PendingIntentUnresolved: FailedLookup {
    var failure: TargetFailure
    var attempts: Int
    var firstFailureAt: Timestamp
    var lastFailureAt: Timestamp
    /// Whether the create was interrupted by a restart (else it failed in this run without a clear answer).
    var fromEarlierRun: Bool
    var target: String

    var description: String {
        let create =
            fromEarlierRun
            ? "a create interrupted by a restart"
            : "an earlier create for this key that ended without a clear answer"
        return "\(create) may have reached \(target), and looking it up failed: \(failure)"
    }
}

/// Settles creates whose outcome is unknown: interrupted by a crash (found at start), or ended in this run without a
/// clear answer (a timeout, a 5xx). Each is looked up at the target where it can be, before anything is created
/// again for its key (``Correlator/reconcile(_:as:externalID:at:)``).
final class IntentSettler: Sendable {
    private let correlator: Correlator
    private let deliverer: Deliverer
    private let instruments: PipelineInstruments
    private let clock: any PipelineClock
    private let logger: Logger
    /// When this settler was made: intents older than it were left by an earlier process.
    private let startedAt: Timestamp
    private let unresolvedIntents = Mutex<Set<String>>([])
    private let restoring = Mutex(false)

    init(
        correlator: Correlator,
        deliverer: Deliverer,
        instruments: PipelineInstruments,
        clock: any PipelineClock,
        logger: Logger
    ) {
        self.correlator = correlator
        self.deliverer = deliverer
        self.instruments = instruments
        self.clock = clock
        self.logger = logger
        startedAt = clock.now()
    }

    /// Whether the start's settling is under way.
    var isRestoring: Bool { restoring.withLock { $0 } }

    /// Dedup keys whose create was interrupted by a crash and is not settled yet.
    var unsettled: [String] { unresolvedIntents.withLock { $0.sorted() } }

    /// Settles creates a crash interrupted, before intake starts: each is looked up at the target where it can be;
    /// keys the target cannot look up are reported here and settled when their next event arrives.
    func reconcileAtStart() async {
        let pending: [IncidentRecord]
        do {
            pending = try await correlator.pendingIntents()
        } catch {
            logger.error("could not read pending intents from the state store: \(error)")
            return
        }
        await reconcile(pending)
    }

    /// Settles `pending` (creates whose answer was lost, found at start or in a restored partition), one lookup each.
    func reconcile(_ pending: [IncidentRecord]) async {
        guard !pending.isEmpty else { return }
        restoring.withLock { $0 = true }
        defer { restoring.withLock { $0 = false } }
        unresolvedIntents.withLock { $0.formUnion(pending.map(\.dedupKey)) }
        instruments.pendingIntents(found: pending.count, unresolved: pending.count)
        let target = deliverer.target
        guard target.supportsLookup else {
            let sample = pending.prefix(10).map(\.dedupKey).joined(separator: ", ")
            logger.warning(
                """
                \(pending.count) creates were interrupted by a restart and \(target.name) cannot look incidents up: \
                each key's next create may open a second incident (keys: \(sample)\(pending.count > 10 ? ", …" : ""))
                """
            )
            return
        }
        logger.info("settling \(pending.count) creates interrupted by a restart through \(target.name) lookups")
        for record in pending {
            do {
                _ = try await settle(record, retry: false)
            } catch {
                logger.warning("interrupted create for \(record.dedupKey) not settled yet: \(error)")
            }
        }
    }

    /// Settles one key's pending create (interrupted by a restart, or failed without a clear answer); returns the
    /// record as it now stands.
    /// - Parameter retry: retry a failing lookup like any call (a lane: the key's later messages wait behind it);
    ///   `false` at startup, which must not hold intake back while the target is away.
    /// - Throws: ``PendingIntentUnresolved`` when the lookup kept failing; `CancellationError` on shutdown.
    func settle(_ record: IncidentRecord, retry: Bool = true) async throws -> IncidentRecord? {
        let outcome: Correlator.Reconciliation
        var externalID: String?
        switch await deliverer.lookup(dedupKey: record.dedupKey, retry: retry) {
        case .found(let id, _) where record.status == .resolved && id == record.externalID:
            // The earlier, resolved incident of this key: the new create never happened.
            outcome = .notFound
        case .found(let id, _):
            // Whatever its status: the create that was interrupted made it, so it is this key's incident.
            outcome = .found
            externalID = id
        case .notFound:
            outcome = .notFound
        case .unsupported:
            outcome = .unverifiable
            logger.warning(
                "\(record.dedupKey): a create whose answer was lost cannot be looked up; creating again may duplicate it"
            )
        case .failed(let failure, let attempts, let first, let last):
            throw PendingIntentUnresolved(
                failure: failure,
                attempts: attempts,
                firstFailureAt: first,
                lastFailureAt: last,
                fromEarlierRun: (record.pending?.since ?? startedAt) < startedAt,
                target: deliverer.target.name
            )
        case .abandoned:
            throw CancellationError()
        }
        let settled = try await correlator.reconcile(record, as: outcome, externalID: externalID, at: clock.now())
        let left = unresolvedIntents.withLock { set in
            set.remove(record.dedupKey)
            return set.count
        }
        instruments.pendingIntentResolved(record.dedupKey, outcome: outcome.rawValue, unresolved: left)
        return settled
    }
}

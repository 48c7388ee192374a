import IncidentAPI
import Logging
import Normalizer

/// Why an event for a key with no state could not be decided: looking the key up at the target kept failing, and
/// creating (or ignoring a resolve) without the check could open a second incident (or orphan an open one).
struct UnknownKeyLookupFailed: FailedLookup {
    var failure: TargetFailure
    var attempts: Int
    var firstFailureAt: Timestamp
    var lastFailureAt: Timestamp
    var target: String

    var description: String {
        """
        the key has no state here, and looking it up at \(target) (to find an incident opened before the state \
        was lost) failed: \(failure); replay the letter once the API answers, or set \
        pipeline.lookup_unknown_keys: false to create without the check
        """
    }
}

/// The safety net for lost state: a dedup key with no record at all (a wiped disk, a lost changelog, a state
/// directory new to the key) is looked up at the target before its event is decided. An open incident found there
/// is adopted into the state, so a firing updates it instead of creating a second one and a resolve resolves it
/// instead of being ignored; a closed one or none leaves the decision as it would be without the lookup.
///
/// A key whose record says it was resolved has state and is not looked up. Only targets whose lookup asks the API
/// (``IncidentTarget/lookupFindsIncidents``) take part; the lookup is a call like any other: it takes its turn at
/// the rate limit and is retried per the retry policy.
struct UnknownKeyLookup: Sendable {
    /// How a lookup for a key with no state ended; the `outcome` label of `ingestor_state_lookups_total`.
    enum Outcome: String, Sendable, CaseIterable {
        /// An open incident was found and adopted.
        case adoptedOpen = "adopted_open"
        /// An incident was found whose status the target's answer does not show; adopted as open, since a second
        /// incident is the failure this check exists to prevent.
        case adoptedUnknown = "adopted_unknown"
        /// Only a closed incident was found: the key's event is decided as if nothing was found.
        case foundClosed = "found_closed"
        /// Nothing was found.
        case notFound = "not_found"
        /// The lookup kept failing (the event is dead-lettered) or was refused for good.
        case failed
    }

    let correlator: Correlator
    let deliverer: Deliverer
    let instruments: PipelineInstruments
    let clock: any PipelineClock
    let logger: Logger

    /// Whether the net is on for this target: configured, and the target's lookup asks its API.
    static func isUsable(configured: Bool, target: any IncidentTarget) -> Bool {
        configured && target.supportsLookup && target.lookupFindsIncidents
    }

    /// Looks `dedupKey` (which has no record) up and returns the record to decide its event against: the adopted
    /// open incident's, or `nil` when there is none open.
    /// - Throws: ``UnknownKeyLookupFailed`` when the lookup kept failing; `CancellationError` on shutdown; a state
    ///   store error when the adoption could not be saved.
    func check(_ dedupKey: String, origin: String) async throws -> IncidentRecord? {
        let target = deliverer.target.name
        switch await deliverer.lookup(dedupKey: dedupKey) {
        case .found(let id, let status) where status != .closed:
            let outcome: Outcome = status == .open ? .adoptedOpen : .adoptedUnknown
            let record = try await correlator.adopt(externalID: id, for: dedupKey, at: clock.now(), origin: origin)
            instruments.unknownKeyLookedUp(target: target, outcome: outcome.rawValue, adopted: true)
            let found = status == .open ? "an open incident" : "an incident (its answer shows no status)"
            logger.info(
                "\(dedupKey) has no state here, and \(target) has \(found) for it, \(id): adopted, nothing created",
                metadata: ["incident.adapter": "\(target)"]
            )
            return record
        case .found:
            instruments.unknownKeyLookedUp(target: target, outcome: Outcome.foundClosed.rawValue, adopted: false)
            return nil
        case .notFound, .unsupported:
            instruments.unknownKeyLookedUp(target: target, outcome: Outcome.notFound.rawValue, adopted: false)
            return nil
        case .failed(let failure, let attempts, let first, let last):
            instruments.unknownKeyLookedUp(target: target, outcome: Outcome.failed.rawValue, adopted: false)
            throw UnknownKeyLookupFailed(
                failure: failure,
                attempts: attempts,
                firstFailureAt: first,
                lastFailureAt: last,
                target: target
            )
        case .abandoned:
            throw CancellationError()
        }
    }
}

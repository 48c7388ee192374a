public import Normalizer

/// The port every incident API adapter implements.
///
/// Adapters turn an ``IncidentCommand`` into one or more HTTP calls and classify the answer; they know nothing of
/// Kafka, retries or dedup state.
public protocol IncidentTarget: Sendable {
    /// The adapter's stable name, e.g. `devrev`; used in metrics and dead-letter headers.
    var name: String { get }

    /// Whether ``lookup(dedupKey:)`` can find an incident this worker created, after a crash lost its id.
    var supportsLookup: Bool { get }

    /// Whether ``lookup(dedupKey:)`` asks the API, so that a key with no state can be looked up before it is
    /// created or its resolve ignored (the safety net for lost state); default ``supportsLookup``. `false` where
    /// the lookup answers without a call (PagerDuty, which folds a repeated create into the open alert itself).
    var lookupFindsIncidents: Bool { get }

    /// Whether the target can perform ``IncidentCommand/Action/reopen``; without it, a key firing after its resolve
    /// always gets a new incident.
    var supportsReopen: Bool { get }

    /// Performs one command.
    /// - Returns: how the call ended; `success` carries the incident id for creates.
    func execute(_ command: IncidentCommand) async -> TargetOutcome

    /// Finds the incident this worker opened for `dedupKey`, for targets that store the key at the vendor.
    func lookup(dedupKey: String) async -> LookupOutcome
}

/// The result of looking an incident up by its dedup key.
public enum LookupOutcome: Sendable, Hashable {
    /// Whether an incident a lookup found is still open, as the API's answer says.
    public enum Status: String, Sendable, Hashable {
        /// Open: not resolved or closed at the target.
        case open
        /// Resolved, closed or cancelled at the target.
        case closed
        /// The answer does not say (e.g. the generic target, whose lookup answer has no known status field).
        case unknown
    }

    /// The incident exists with this id, in this status.
    case found(externalID: String, status: Status)
    /// The API has no incident for the key.
    case notFound
    /// The lookup itself failed.
    case failed(TargetOutcome)
    /// The target cannot look incidents up.
    case unsupported
}

extension IncidentTarget {
    public var supportsLookup: Bool { false }
    public var supportsReopen: Bool { false }
    public var lookupFindsIncidents: Bool { supportsLookup }
    public func lookup(dedupKey: String) async -> LookupOutcome { .unsupported }
}

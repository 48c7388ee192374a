public import IncidentAPI
public import Normalizer
import Synchronization

/// An incident target that answers from a script and records every call, in order.
///
/// Creates return ids `inc-1`, `inc-2`, …; `respond` can override the outcome per call.
public final class ScriptedTarget: IncidentTarget {
    /// Decides an outcome for a command and its attempt number (1-based); `nil` means success.
    public typealias Responder = @Sendable (IncidentCommand, Int) async -> TargetOutcome?

    private let state = Mutex<(calls: [IncidentCommand], attempts: [String: Int], nextID: Int)>(([], [:], 1))
    private let respond: Responder
    private let lookupResponder: (@Sendable (String) async -> LookupOutcome)?
    private let lookups = Mutex<[String]>([])

    /// Creates a target; with `lookup` it can look incidents up by dedup key.
    public init(
        respond: @escaping Responder = { _, _ in nil },
        lookup: (@Sendable (String) async -> LookupOutcome)? = nil
    ) {
        self.respond = respond
        lookupResponder = lookup
    }

    public var name: String { "scripted" }

    public var supportsLookup: Bool { lookupResponder != nil }

    public func lookup(dedupKey: String) async -> LookupOutcome {
        guard let lookupResponder else { return .unsupported }
        lookups.withLock { $0.append(dedupKey) }
        return await lookupResponder(dedupKey)
    }

    /// Every key looked up, in order.
    public var lookedUp: [String] { lookups.withLock { $0 } }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        let attempt = state.withLock { state in
            state.calls.append(command)
            let key = "\(command.action.rawValue)|\(command.dedupKey)|\(command.event.title)"
            state.attempts[key, default: 0] += 1
            return state.attempts[key]!
        }
        if let outcome = await respond(command, attempt) { return outcome }
        if command.action == .create {
            let id = state.withLock { state in
                defer { state.nextID += 1 }
                return "inc-\(state.nextID)"
            }
            return .success(externalID: id, httpStatus: 201)
        }
        return .success(externalID: command.externalID, httpStatus: 200)
    }

    /// Every call, in order.
    public var calls: [IncidentCommand] { state.withLock { $0.calls } }
}

/// What the correlator asks an incident API to do for one event.
///
/// Documented by `schemas/incident-command.schema.json`.
public struct IncidentCommand: Sendable, Hashable {
    /// The operation.
    public enum Action: String, Sendable, Hashable, CaseIterable {
        /// Open a new incident.
        case create
        /// Change an open incident's fields.
        case update
        /// Mark an open incident resolved.
        case resolve
        /// Add a note to an open incident.
        case comment
        /// Open a resolved incident again (firing within the reopen window of its resolve), with the event's fields.
        case reopen
    }

    /// The operation.
    public var action: Action
    /// The problem this command is about.
    public var dedupKey: String
    /// The incident's id at the target, for every action but `create`.
    public var externalID: String?
    /// The event whose content the command carries.
    public var event: NormalizedEvent
    /// Why the correlator chose this action, for logs and the audit trail.
    public var reason: String

    /// Creates a command.
    public init(action: Action, dedupKey: String, externalID: String? = nil, event: NormalizedEvent, reason: String) {
        self.action = action
        self.dedupKey = dedupKey
        self.externalID = externalID
        self.event = event
        self.reason = reason
    }

    /// The JSON rendering documented by `schemas/incident-command.schema.json`.
    public var jsonValue: JSONValue {
        var object = JSONObject()
        object["action"] = .string(action.rawValue)
        object["dedupKey"] = .string(dedupKey)
        object["externalId"] = externalID.map(JSONValue.string) ?? .null
        object["reason"] = .string(reason)
        object["event"] = event.jsonValue
        return .object(object)
    }
}

public import Normalizer

/// Settings for Infraon Infinity's incident API (CONTRACTS.md §6).
public struct InfraonConfiguration: Sendable, Hashable {
    /// An option as Infraon names it: `{id, name}`.
    public struct Option: Sendable, Hashable {
        /// The option id.
        public var id: Int
        /// The option name.
        public var name: String

        /// Creates an option.
        public init(_ id: Int, _ name: String) {
            self.id = id
            self.name = name
        }

        var json: JSONValue { .object(JSONObject([("id", .number(String(id))), ("name", .string(name))])) }
    }

    /// Priority, urgency and impact for one severity.
    public struct Levels: Sendable, Hashable {
        /// `priority`.
        public var priority: Option
        /// `urgency`.
        public var urgency: Option
        /// `impact`.
        public var impact: Option

        /// Creates levels.
        public init(priority: Option, urgency: Option, impact: Option) {
            self.priority = priority
            self.urgency = urgency
            self.impact = impact
        }
    }

    /// The tenant's host, e.g. `https://acme.infraon.app`.
    public var baseURL: String
    /// An API key header (the docs disagree on its form: `ApiKey <key>` or the bare key, so the prefix is
    /// configuration) or a login at `/ux/api-token-auth/` whose `token` is sent bare.
    public var authentication: Authentication
    /// `requester_email`: required on create.
    public var requesterEmail: String
    /// `requester_name`, optional.
    public var requesterName: String?
    /// `incident_type`; default `{id: 1, name: Incident, prefix: inci}`.
    public var incidentType = Option(1, "Incident")
    /// Levels per severity; defaults from CONTRACTS.md §7.2 (ids may be tenant-specific).
    public var levels: [Severity: Levels] = [
        .critical: Levels(priority: Option(1, "Critical"), urgency: Option(1, "High"), impact: Option(1, "Business")),
        .high: Levels(priority: Option(2, "High"), urgency: Option(1, "High"), impact: Option(3, "Department")),
        .medium: Levels(priority: Option(3, "Medium"), urgency: Option(2, "Medium"), impact: Option(4, "Group")),
        .low: Levels(priority: Option(4, "Low"), urgency: Option(3, "Low"), impact: Option(5, "User")),
        .info: Levels(priority: Option(5, "Very Low"), urgency: Option(3, "Low"), impact: Option(5, "User")),
    ]
    /// The status option (by name, from the incident's `options.status`) a resolve sets; default `Resolved`.
    public var resolvedStatus = "Resolved"
    /// The status option an acknowledged alert sets; default `In Progress`.
    public var acknowledgedStatus = "In Progress"
    /// When set, a resolve posts this body template to `/ux/sd/inci/incident/inci_resolve/` (placeholders as for the
    /// generic target, e.g. `{{external_id}}`) instead of setting the status option with a whole-document PUT.
    /// Infraon does not document that body (CONTRACTS.md §6.1 UNKNOWN), so there is no default.
    public var resolveBody: JSONValue?
    /// Deadline per request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// Creates a configuration.
    public init(baseURL: String, authentication: Authentication, requesterEmail: String) {
        self.baseURL = baseURL
        self.authentication = authentication
        self.requesterEmail = requesterEmail
    }
}

public import Normalizer

/// Settings for Infraon Infinity's incident API, after Infraon's API guide, "Modules › Incident"
/// (https://docs.infraon.io/infraon-infinity-api-guide/modules/incident).
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
    /// An API key header — the guide's endpoint pages send the bare key (`Authorization: YOUR_API_KEY`), its
    /// Authorization page `ApiKey <key>`, so the prefix is configuration, empty by default — or a login at
    /// `/ux/api-token-auth/` whose `token` is sent bare.
    public var authentication: Authentication
    /// `requester_email`: required on create.
    public var requesterEmail: String
    /// `requester_name`, optional.
    public var requesterName: String?
    /// `incident_type`; default `{id: 1, name: Incident, prefix: inci}`.
    public var incidentType = Option(1, "Incident")
    /// Levels per severity; defaults are the guide's example ids and names (ids may be tenant-specific).
    public var levels: [Severity: Levels] = [
        .critical: Levels(priority: Option(1, "Critical"), urgency: Option(1, "High"), impact: Option(1, "Business")),
        .high: Levels(priority: Option(2, "High"), urgency: Option(1, "High"), impact: Option(3, "Department")),
        .medium: Levels(priority: Option(3, "Medium"), urgency: Option(2, "Medium"), impact: Option(4, "Group")),
        .low: Levels(priority: Option(4, "Low"), urgency: Option(3, "Low"), impact: Option(5, "User")),
        .info: Levels(priority: Option(5, "Very Low"), urgency: Option(3, "Low"), impact: Option(5, "User")),
    ]
    /// The status option a resolve sets when `inci_resolve/` is refused and ingestor falls back to a PUT; default
    /// `Resolved`. Its id comes from the incident's `options.status` where the GET answers with options.
    public var resolvedStatus = "Resolved"
    /// The id of ``resolvedStatus``, for tenants whose GET answers a flat incident (no `options`); default none, and
    /// the fallback then cannot set the status.
    public var resolvedStatusID: Int?
    /// The status option an acknowledged alert sets; default `In Progress`.
    public var acknowledgedStatus = "In Progress"
    /// The id of ``acknowledgedStatus`` for flat incidents; default none (an acknowledgement then leaves the status).
    public var acknowledgedStatusID: Int?
    /// The body posted to `inci_resolve/`, a JSON template with the generic target's placeholders; default
    /// `{"incident_id": "{{external_id}}"}`, an incident document naming the incident, as the guide's placeholder
    /// body is an incident document.
    public var resolveBody: JSONValue?
    /// Pages of 50 incidents searched for the dedup key's marker (after a create answered without an id, and for
    /// lookups); default 20.
    public var lookupPages = 20
    /// Deadline per request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// Creates a configuration.
    public init(baseURL: String, authentication: Authentication, requesterEmail: String) {
        self.baseURL = baseURL
        self.authentication = authentication
        self.requesterEmail = requesterEmail
    }
}

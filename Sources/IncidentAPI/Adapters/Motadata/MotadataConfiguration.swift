public import Normalizer

/// Settings for Motadata ServiceOps: the incident API of Motadata's "Update an Incident" page (the default) or
/// ServiceOps 8.x's request API.
public struct MotadataConfiguration: Sendable, Hashable {
    /// Which API generation the server speaks.
    public enum API: String, Sendable, Hashable, CaseIterable {
        /// ServiceOps 8.x: `/api/v1/request`, PATCH updates, conversations for notes, display-name enums.
        case request
        /// The Flotomate-era incident API: `/api/v1/incident`, POST updates, upper-case enums, no notes.
        case incident
    }

    /// Priority, urgency and impact for one severity, in the API generation's spelling.
    public struct Levels: Sendable, Hashable {
        /// `priorityName` / `priority`.
        public var priority: String
        /// `urgencyName` / `urgency`.
        public var urgency: String
        /// `impactName` / `impact`.
        public var impact: String

        /// Creates levels.
        public init(priority: String, urgency: String, impact: String) {
            self.priority = priority
            self.urgency = urgency
            self.impact = impact
        }
    }

    /// The server, e.g. `https://servicedesk.example.com`.
    public var baseURL: String
    /// The generation; default ``API/incident``, the API of Motadata's "Update an Incident" page.
    public var api: API = .incident
    /// `Authorization: Apikey …` or the OAuth2 password grant at `/api/oauth/token`.
    public var authentication: Authentication
    /// The requester every incident is raised for; required by both generations and must be a user the server
    /// knows.
    public var requesterEmail: String
    /// `categoryName`; the legacy API needs `Incident` (its default is "Service Request"). Default `Incident`.
    public var categoryName: String? = "Incident"
    /// Tags added to every incident (the event's `source:` tag is added too).
    public var tags: [String] = ["ingestor"]
    /// The request API's `source` field; default `External` (the documented REST default).
    public var source: String = "External"
    /// A custom field that stores the dedup key (its name for the request API, its field id for the legacy API);
    /// `nil` stores it nowhere at the vendor.
    public var dedupKeyField: String?
    /// Custom fields filled from event labels: custom field (name, or field id for the legacy API) → label name.
    public var labelFields: [String: String] = [:]
    /// Levels per severity; defaults from ``defaultLevels(_:)`` for the generation.
    public var levels: [Severity: Levels]
    /// Status names: acknowledged and resolved. Defaults `In Progress` and `Resolved` (values are tenant-defined).
    public var acknowledgedStatus = "In Progress"
    /// The status that resolves.
    public var resolvedStatus = "Resolved"
    /// The status a reopened incident gets; default `Open`.
    public var openStatus = "Open"
    /// Deadline per request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// Creates a configuration with the generation's default levels.
    public init(baseURL: String, api: API = .incident, authentication: Authentication, requesterEmail: String) {
        self.baseURL = baseURL
        self.api = api
        self.authentication = authentication
        self.requesterEmail = requesterEmail
        levels = Self.defaultLevels(api)
    }

    /// The generation's default levels: its documented enum values, per severity.
    public static func defaultLevels(_ api: API) -> [Severity: Levels] {
        switch api {
        case .request:
            [
                .critical: Levels(priority: "Urgent", urgency: "Urgent", impact: "On Business"),
                .high: Levels(priority: "High", urgency: "High", impact: "On department"),
                .medium: Levels(priority: "Medium", urgency: "Medium", impact: "On User"),
                .low: Levels(priority: "Low", urgency: "Low", impact: "On User"),
                .info: Levels(priority: "Low", urgency: "Low", impact: "Low"),
            ]
        case .incident:
            [
                .critical: Levels(priority: "URGENT", urgency: "URGENT", impact: "ONBUSINESS"),
                .high: Levels(priority: "HIGH", urgency: "HIGH", impact: "ONDEPARTMENT"),
                .medium: Levels(priority: "MEDIUM", urgency: "MEDIUM", impact: "ONUSER"),
                .low: Levels(priority: "LOW", urgency: "LOW", impact: "ONUSER"),
                .info: Levels(priority: "LOW", urgency: "LOW", impact: "LOW"),
            ]
        }
    }
}

public import Normalizer

/// Settings for ServiceNow's Table API on the `incident` table, after ServiceNow's "Table API" reference
/// (https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI) and "OAuth API request
/// parameters" (https://docs.servicenow.com/bundle/xanadu-platform-security/page/administer/security/reference/r_OAuthAPIRequestParameters.html).
public struct ServiceNowConfiguration: Sendable, Hashable {
    /// Where a journal entry (a reply) goes.
    public enum JournalField: String, Sendable, Hashable, CaseIterable {
        /// Work notes: visible to the fulfillers only (the default).
        case workNotes = "work_notes"
        /// Additional comments: visible to the caller too.
        case comments
    }

    /// The instance, e.g. `https://acme.service-now.com` (paths start with `/api/now/table/incident`).
    public var baseURL: String
    /// HTTP Basic, or OAuth at `/oauth_token.do` (password or client-credentials grant, url-encoded form).
    public var authentication: Authentication
    /// `urgency` per severity, 1 (High) to 3 (Low); defaults `critical`/`high` 1, `medium` 2, `low`/`info` 3.
    public var urgency: [Severity: Int] = [.critical: 1, .high: 1, .medium: 2, .low: 3, .info: 3]
    /// `impact` per severity, 1 (High) to 3 (Low); defaults `critical` 1, `high`/`medium`/`low` 2, `info` 3. With the
    /// default urgencies the instance's priority lookup makes priorities 1, 2, 3, 4 and 5.
    public var impact: [Severity: Int] = [.critical: 1, .high: 2, .medium: 2, .low: 2, .info: 3]
    /// `caller_id` of new incidents (a user's sys_id or user name); `nil` leaves it empty.
    public var callerID: String?
    /// `assignment_group` of new incidents (a group's sys_id or name); `nil` leaves it to the instance's rules.
    public var assignmentGroup: String?
    /// `category` of new incidents; `nil` leaves the instance's default.
    public var category: String?
    /// `correlation_display` of new incidents: who correlates them; default `ingestor`.
    public var correlationDisplay = "ingestor"
    /// The journal field replies go to; default `work_notes`.
    public var journalField: JournalField = .workNotes
    /// `close_code` a resolve sets (required with the Resolved state on default instances); default
    /// `Solution provided`. Choices differ by release and instance: use one of your instance's.
    public var closeCode = "Solution provided"
    /// `state` an acknowledged alert moves the incident to (2 is In Progress); `nil` leaves the state alone.
    public var acknowledgedState: Int?
    /// Deadline per request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// Creates a configuration; other properties have the documented defaults.
    public init(baseURL: String, authentication: Authentication) {
        self.baseURL = baseURL
        self.authentication = authentication
    }
}

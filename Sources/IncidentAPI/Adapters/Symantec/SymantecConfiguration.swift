public import Normalizer

/// Settings for Symantec (Broadcom) ServiceDesk 8.5's REST API ("ServiceDesk - API - Incident").
public struct SymantecConfiguration: Sendable, Hashable {
    /// Priority, impact and urgency for one severity, as the instance names them.
    public struct Levels: Sendable, Hashable {
        /// `priority`.
        public var priority: String
        /// `impact`.
        public var impact: String
        /// `urgency`.
        public var urgency: String

        /// Creates levels.
        public init(priority: String, impact: String, urgency: String) {
            self.priority = priority
            self.impact = impact
            self.urgency = urgency
        }
    }

    /// The API root, e.g. `https://sd.example.com/ServiceDeskApi` (routes are `api/…` under it).
    public var baseURL: String
    /// The ServiceDesk user the worker logs in as.
    public var username: String
    /// Its password.
    public var password: Secret
    /// `affectedUserEmail`: required by ServiceDesk and must be a user it knows.
    public var affectedUserEmail: String
    /// `incidentType`, instance-configured (e.g. `Break/Fix`); `nil` sends none.
    public var incidentType: String?
    /// `classification`, a dotted hierarchy (e.g. `Monitoring.Alert`); `nil` sends none.
    public var classification: String?
    /// The `closeCode` a resolve sends; required by the PATCH, values are instance-defined (UNKNOWN defaults).
    public var closeCode: String
    /// Levels per severity; defaults are ServiceDesk's shipped technician values.
    public var levels: [Severity: Levels] = [
        .critical: Levels(priority: "Urgent", impact: "Department/LOB/Branch", urgency: "Core business service"),
        .high: Levels(priority: "High", impact: "Small group or VIP", urgency: "Core business service"),
        .medium: Levels(priority: "Normal", impact: "Small group or VIP", urgency: "Support service"),
        .low: Levels(priority: "Minor", impact: "Single User", urgency: "Non-urgent services"),
        .info: Levels(priority: "Low", impact: "Single User", urgency: "Non-urgent services"),
    ]
    /// Deadline per request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// Creates a configuration.
    public init(
        baseURL: String,
        username: String,
        password: Secret,
        affectedUserEmail: String,
        closeCode: String
    ) {
        self.baseURL = baseURL
        self.username = username
        self.password = password
        self.affectedUserEmail = affectedUserEmail
        self.closeCode = closeCode
    }

    /// `POST api/authorization/token` with the user and password; the GUID it returns goes in
    /// `Authorization: token <GUID>`.
    public var authentication: Authentication {
        .login(
            .init(
                loginURL: baseURL + "/api/authorization/token",
                username: username,
                password: password,
                tokenField: nil,
                headerPrefix: "token "
            )
        )
    }
}

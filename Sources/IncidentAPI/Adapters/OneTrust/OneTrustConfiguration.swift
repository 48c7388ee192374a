public import Normalizer

/// Settings for OneTrust Incident Management, after OneTrust's "Update Incident" reference and OpenAPI spec.
public struct OneTrustConfiguration: Sendable, Hashable {
    /// `https://{hostname}`, e.g. `https://app.onetrust.com` (paths start with `/api/incident/v1`).
    public var baseURL: String
    /// OAuth2 client credentials at `/api/access/v1/oauth/token` (multipart form), or an API key as a bearer token.
    public var authentication: Authentication
    /// `orgGroupId`: the organization incidents belong to. Required by OneTrust on create and on every update.
    public var orgGroupID: String
    /// `incidentTypeName`; default `Unknown` (OneTrust's own default). Type names are tenant-defined.
    public var incidentTypeName = "Unknown"
    /// The custom attribute that carries the severity, since OneTrust has none; `nil` puts it in the description only.
    public var severityAttribute: String?
    /// The attribute value per severity; default `Critical`, `High`, `Medium`, `Low`, `Info`.
    public var severityValues: [Severity: String] = [
        .critical: "Critical", .high: "High", .medium: "Medium", .low: "Low", .info: "Info",
    ]
    /// Custom text attributes filled from event labels: attribute name → label name.
    public var labelAttributes: [String: String] = [:]
    /// The workflow stage a resolve moves to (`nextStageName`). Required: stage names are tenant-defined.
    public var resolvedStage: String
    /// The stage an acknowledged alert moves to; `nil` leaves the stage alone.
    public var acknowledgedStage: String?
    /// Deadline per request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// Creates a configuration.
    public init(baseURL: String, authentication: Authentication, orgGroupID: String, resolvedStage: String) {
        self.baseURL = baseURL
        self.authentication = authentication
        self.orgGroupID = orgGroupID
        self.resolvedStage = resolvedStage
    }
}

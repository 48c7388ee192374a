public import Normalizer

/// Settings for the DevRev adapter (`POST /incidents.create`, `/incidents.update`, `/timeline-entries.create`,
/// `GET /incidents.list`), after DevRev's API reference (https://developer.devrev.ai, beta incidents API).
public struct DevRevConfiguration: Sendable, Hashable {
    /// The API's base URL; default `https://api.devrev.ai`.
    public var baseURL: String = "https://api.devrev.ai"
    /// The bearer token (a service-account or PAT token).
    public var token: Secret
    /// DevRev severity ids per severity; defaults `critical`→1 (sev-0), `high`→2, `medium`→3, `low`→4, `info`→4.
    /// Ids are tenant-specific: DevRev publishes no fixed list.
    public var severityIDs: [Severity: Int] = [.critical: 1, .high: 2, .medium: 3, .low: 4, .info: 4]
    /// The stage DON new incidents start in; `nil` leaves DevRev's default start stage.
    public var triageStage: String?
    /// The stage DON that marks an incident resolved. Required: stage DONs depend on the tenant's stage diagram
    /// and are not published; find them with `/stages.custom.list`.
    public var resolvedStage: String
    /// The stage DON an acknowledged alert moves to (with `acknowledged_date`); `nil` leaves the stage alone.
    public var acknowledgedStage: String?
    /// Labels that become DevRev tags named `label:value` (created on first use); keep them low-cardinality
    /// (`team`, `env`, `service`). Default none.
    public var tagLabels: [String] = []
    /// Tenant custom fields filled from event labels: field name (`tnt__…`) → label name. Sent with
    /// `custom_schema_spec: {tenant_fragment: true}`, as DevRev requires for custom fields.
    public var labelFields: [String: String] = [:]
    /// Written to `sync_metadata.origin_system`; default `ingestor`.
    public var originSystem: String = "ingestor"
    /// Deadline for each request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// `Authorization: Bearer <token>`, as every DevRev call sends it.
    public var authentication: Authentication {
        .header(name: "Authorization", value: Secret("Bearer \(token.exposedValue)"))
    }

    /// Creates a configuration; other properties have the documented defaults.
    public init(token: Secret, resolvedStage: String) {
        self.token = token
        self.resolvedStage = resolvedStage
    }
}

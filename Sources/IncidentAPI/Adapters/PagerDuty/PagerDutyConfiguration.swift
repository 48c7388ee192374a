public import Normalizer

/// Settings for PagerDuty's Events API v2 (`POST /v2/enqueue`), after its OpenAPI description
/// (https://github.com/PagerDuty/api-schema, `reference/events-v2/openapiv3.json`).
public struct PagerDutyConfiguration: Sendable, Hashable {
    /// The API's base URL; default `https://events.pagerduty.com` (`https://events.eu.pagerduty.com` for the EU
    /// service region).
    public var baseURL = "https://events.pagerduty.com"
    /// `routing_key`: the integration key of an Events API v2 integration. It travels in the body: the Events API
    /// takes no `Authorization` header.
    public var routingKey: Secret
    /// `payload.severity` per severity, one of `critical`, `error`, `warning`, `info`; defaults `critical`→critical,
    /// `high`→error, `medium`→warning, `low`→warning, `info`→info.
    public var severities: [Severity: String] = [
        .critical: "critical", .high: "error", .medium: "warning", .low: "warning", .info: "info",
    ]
    /// Labels tried in order for `payload.source` ("the unique location of the affected system, preferably a
    /// hostname or FQDN"); the event's source (e.g. `alertmanager`) when none is set. Default `instance`, `host`,
    /// `hostname`.
    public var sourceLabels = ["instance", "host", "hostname"]
    /// The label for `payload.component`; default `job`.
    public var componentLabel: String? = "job"
    /// The label for `payload.group`; default `service`.
    public var groupLabel: String? = "service"
    /// The label for `payload.class`; default `alertname`.
    public var classLabel: String? = "alertname"
    /// `client`: the name of the sender shown on the alert; default `ingestor`.
    public var client = "ingestor"
    /// Deadline per request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// Creates a configuration; other properties have the documented defaults.
    public init(routingKey: Secret) {
        self.routingKey = routingKey
    }
}

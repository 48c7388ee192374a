/// Names a decoder, or `auto` for detection from the payload's shape.
public struct SourceFormat: Sendable, Hashable, CustomStringConvertible {
    /// The spelling used in the config and in the `ingestor-format` header.
    public let name: String

    /// Creates a format from its spelling; whether a decoder exists is checked by ``Normalizer``.
    public init(_ name: String) {
        self.name = name.lowercased()
    }

    /// Detect the format from the payload's shape.
    public static let auto = SourceFormat("auto")
    /// Prometheus Alertmanager webhook, version 4.
    public static let alertmanager = SourceFormat("alertmanager")
    /// Grafana unified alerting webhook (Grafana 8 and later).
    public static let grafana = SourceFormat("grafana")
    /// Grafana legacy dashboard alerting webhook (before Grafana 8).
    public static let grafanaLegacy = SourceFormat("grafana-legacy")
    /// AWS SNS HTTP/HTTPS notification envelope (and its Lambda `Records[].Sns` form).
    public static let sns = SourceFormat("sns")
    /// A CloudWatch alarm notification without its SNS envelope (raw message delivery).
    public static let cloudwatch = SourceFormat("cloudwatch")
    /// Amazon EventBridge "CloudWatch Alarm State Change" event.
    public static let eventbridge = SourceFormat("eventbridge")
    /// Azure Monitor common alert schema.
    public static let azureMonitor = SourceFormat("azure-monitor")
    /// Google Cloud Monitoring webhook, schema 1.2.
    public static let gcpMonitoring = SourceFormat("gcp-monitoring")
    /// PagerDuty Events API v2 (and v1).
    public static let pagerduty = SourceFormat("pagerduty")
    /// Datadog webhook with the recommended template (route only).
    public static let datadog = SourceFormat("datadog")
    /// Zabbix webhook media type with the recommended parameters (route only).
    public static let zabbix = SourceFormat("zabbix")
    /// Sentry integration-platform webhooks and the legacy WebHooks plugin.
    public static let sentry = SourceFormat("sentry")
    /// New Relic workflow webhook with the default template.
    public static let newrelic = SourceFormat("newrelic")
    /// Opsgenie outgoing webhook.
    public static let opsgenie = SourceFormat("opsgenie")
    /// AWS Health events, from EventBridge directly or through SNS.
    public static let awsHealth = SourceFormat("aws-health")
    /// PagerDuty's outgoing webhooks, V1, V2 and V3 (an incident in PagerDuty becoming a ticket here).
    public static let pagerdutyWebhook = SourceFormat("pagerduty-webhook")
    /// Graylog event notifications (3.1 and later) and Graylog 2 stream alert callbacks.
    public static let graylog = SourceFormat("graylog")
    /// Pingdom uptime and transaction check state-change webhooks.
    public static let pingdom = SourceFormat("pingdom")
    /// Site24x7 webhooks with the default JSON payload.
    public static let site24x7 = SourceFormat("site24x7")
    /// Splunk's webhook alert action.
    public static let splunk = SourceFormat("splunk")
    /// UptimeRobot JSON webhooks.
    public static let uptimerobot = SourceFormat("uptimerobot")
    /// VMware vRealize / Aria Operations REST notification plugin alerts.
    public static let vmwareAria = SourceFormat("vmware-aria")
    /// Alerta alerts, as Alerta's SNS plugin publishes them.
    public static let alerta = SourceFormat("alerta")
    /// Riemann events posted as JSON.
    public static let riemann = SourceFormat("riemann")
    /// Any JSON object, read through configured field paths (route only, or the `auto` fallback when enabled).
    public static let generic = SourceFormat("generic")
    /// A raw RFC 5322 email message, or a JSON envelope carrying one.
    public static let email = SourceFormat("email")

    public var description: String { name }
}

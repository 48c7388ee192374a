import Foundation
import Testing

@testable import Normalizer

/// Payloads captured from real senders (relays, old versions, other vendors; origins in Fixtures/README.md), each with
/// what it must become: events with status, severity, dedup key and title, or a rejection with its code.
@Suite("Real senders")
struct SenderFixtureTests {
    static let table: [Expectation] = [
        // Alertmanager and Alertmanager-compatible senders.
        Expectation(
            fixture: "alertmanager/v3-numeric-groupkey.json",
            events: [(.firing, .critical, "am:d2089d8d0f422129", "failedConnect: Connect fail")]
        ),
        Expectation(
            fixture: "alertmanager/zulip-v4-two-alerts.json",
            events: [
                (.firing, .critical, "am:a1bc48475b20e73d", "High CPU Temperature: High CPU core temperature"),
                (.firing, .critical, "am:c2ea85182f28cbd9", "High CPU Temperature: High CPU core temperature"),
            ]
        ),
        Expectation(
            fixture: "alertmanager/old-sender-no-fingerprint.json",
            events: [(.firing, .medium, "am:507a62d79ee76c9a", "alertmanager alert 507a62d79ee76c9a")]
        ),
        // Read with the default paths, a payload that needs its own: no title found (the test that maps its paths
        // is in DecoderFixtureTests).
        Expectation(fixture: "generic/custom-paths.json", format: .generic, rejection: .invalidPayload),
        Expectation(
            fixture: "alertmanager/relay-no-version-no-alert-status.json",
            events: [(.resolved, .critical, "am:a1bc48475b20e73d", "High CPU Temperature: High CPU core temperature")]
        ),
        // Grafana.
        Expectation(
            fixture: "grafana/unified-v9-rule-name.json",
            events: [
                (
                    .firing, .medium, "grafana:d8a21484c9c25a60",
                    "Test alert: This is a summary field, failure on some_host"
                )
            ]
        ),
        Expectation(fixture: "grafana/unified-v8-test-notification.json", rejection: .notAnAlert),
        Expectation(fixture: "grafana/legacy-test-notification.json", rejection: .notAnAlert),
        Expectation(
            fixture: "grafana/legacy-v7-no-data.json",
            events: [(.firing, .medium, "grafana-legacy:1:3", "No Data alert")]
        ),
        Expectation(
            fixture: "grafana/legacy-docs-example.json",
            events: [(.firing, .medium, "grafana-legacy:0:1", "Load peaking!")]
        ),
        Expectation(
            fixture: "grafana/legacy-ok.json",
            events: [(.resolved, .medium, "grafana-legacy:0:7", "Zeta CPU alert")]
        ),
        Expectation(
            fixture: "grafana/legacy-v6-tags.json",
            events: [(.firing, .medium, "grafana-legacy:0:58", "Testing -> Battery Voltage alert")]
        ),
        Expectation(
            fixture: "grafana/legacy-repeated-key.json",
            events: [(.firing, .critical, "grafana-legacy:1:12", "Disk almost full")]
        ),
        // Azure.
        Expectation(
            fixture: "azure/classic-activated-requests.json",
            events: [
                (
                    .firing, .medium,
                    "azure:/subscriptions/s1/resourceGroups/useast/providers/microsoft.insights/alertrules/ruleName1",
                    "ruleName1 on mysite1"
                )
            ]
        ),
        Expectation(
            fixture: "azure/classic-activated-memory.json",
            events: [
                (
                    .firing, .medium,
                    "azure:/subscriptions/1a66ce04-b633-4a0b-b2bc-a912ec8986a6/resourceGroups/montest/providers/microsoft.insights/alertrules/Alert_1_runscope12",
                    "Alert_1_runscope12 on helixtest1"
                )
            ]
        ),
        Expectation(
            fixture: "azure/metric-v2-activated.json",
            events: [
                (
                    .firing, .medium,
                    "azure:/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/Contoso/providers/microsoft.insights/metricAlerts/StorageCheck",
                    "StorageCheck on diag500"
                )
            ]
        ),
        Expectation(
            fixture: "azure/metric-v2-deactivated.json",
            events: [
                (
                    .resolved, .low,
                    "azure:/subscriptions/ba364c14-1aa5-484e-8b74-6201540087e1/resourceGroups/Web/providers/microsoft.insights/metricAlerts/Percentage%20CPU%20greater%20than%2070",
                    "CpuUtilHigh on web01"
                )
            ]
        ),
        // AWS.
        Expectation(
            fixture: "aws/lambda-alarm-action-metric.json",
            events: [
                (
                    .firing, .medium, "cw:arn:aws:cloudwatch:us-east-1:444455556666:alarm:lambda-demo-metric-alarm",
                    "lambda-demo-metric-alarm"
                )
            ]
        ),
        Expectation(
            fixture: "aws/lambda-alarm-action-composite.json",
            events: [
                (
                    .firing, .medium, "cw:arn:aws:cloudwatch:us-east-1:111122223333:alarm:SuppressionDemo.Main",
                    "CompositeDemo.Main"
                )
            ]
        ),
        Expectation(
            fixture: "aws/sns-cloudwatch-alarm-alerta.json",
            events: [(.firing, .medium, "cw:account:1234567890:alarm:bucketbytesAlarm", "bucketbytesAlarm")]
        ),
        Expectation(
            fixture: "aws/sns-alerta-alert.json",
            events: [(.firing, .critical, "alerta:e7020428-5dad-4a41-9bfe-78e9d55cda06", "node_down on web01")]
        ),
        Expectation(
            fixture: "aws/sns-aws-health-issue.json",
            events: [
                (
                    .firing, .high,
                    "aws-health:123456789012:arn:aws:health:af-south-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_7f35c8ae-af1f-54e6-a526-d0179ed6d68f",
                    "EC2 operational issue in af-south-1"
                )
            ]
        ),
        // Google Cloud Monitoring 1.1.
        Expectation(
            fixture: "gcp/v1.1-open.json",
            events: [(.firing, .medium, "gcp:f2e08c333dc64cb09f75eaab355393bz", "Webserver Health on webserver-85")]
        ),
        Expectation(
            fixture: "gcp/v1.1-closed.json",
            events: [(.resolved, .medium, "gcp:f2e08c333dc64cb09f75eaab355393bz", "Webserver Health on webserver-85")]
        ),
        // New Relic.
        Expectation(
            fixture: "newrelic/created-default-template.json",
            events: [
                (
                    .firing, .critical, "nr:208c5e92-f250-40be-b7c2-50508c268c15",
                    "MAIN-APP-UBUNTU query result is > 2.0 for 1 minutes on 'High CPU'"
                )
            ]
        ),
        Expectation(
            fixture: "newrelic/closed-default-template.json",
            events: [
                (
                    .resolved, .critical, "nr:95a9344a-2590-48ce-8d83-07e28b6d22c6",
                    "main_app-UBUNTU query result is > 2.0 for 1 minutes on 'High CPU'"
                )
            ]
        ),
        Expectation(
            fixture: "newrelic/user-action-default-template.json",
            events: [
                (
                    .firing, .high, "nr:13bbcdca-f0b6-470d-b0be-b34583c58869",
                    "PIETER-UBUNTU query result is > 1.0 for 5 minutes on 'Storage on Host Exceeded Threshold'"
                )
            ]
        ),
        Expectation(
            fixture: "newrelic/lowercase-created.json",
            events: [(.firing, .medium, "nr:8114ada3-572e-4550-a310-12375371669e", "Server Down")]
        ),
        Expectation(
            fixture: "newrelic/lowercase-acknowledged.json",
            events: [(.acknowledged, .medium, "nr:1234", "Server Down")]
        ),
        Expectation(
            fixture: "newrelic/legacy-opened.json",
            events: [(.firing, .medium, "nr:incident:1234", "Server Down")]
        ),
        Expectation(
            fixture: "newrelic/legacy-acknowledged.json",
            events: [(.acknowledged, .medium, "nr:incident:1234", "Server Down")]
        ),
        Expectation(
            fixture: "newrelic/legacy-v1-alerta.json",
            events: [(.firing, .info, "nr:incident:0", "New Relic Alert - Test Condition")]
        ),
        // Zabbix (route only).
        Expectation(
            fixture: "zabbix/media-type-problem.json",
            format: .zabbix,
            events: [(.firing, .medium, "zabbix:4711", "High CPU utilization (over 90% for 5m)")]
        ),
        Expectation(
            fixture: "zabbix/media-type-resolved-old-server.json",
            format: .zabbix,
            events: [(.resolved, .medium, "zabbix:4711", "High CPU utilization (over 90% for 5m)")]
        ),
        Expectation(
            fixture: "zabbix/message-only-problem.json",
            format: .zabbix,
            events: [(.firing, .medium, "zabbix:4812", "Zabbix agent on web-2 is unreachable for 5 minutes")]
        ),
        Expectation(
            fixture: "zabbix/message-only-resolved.json",
            format: .zabbix,
            events: [(.resolved, .medium, "zabbix:4812", "Zabbix agent on web-2 is unreachable for 5 minutes")]
        ),
        Expectation(
            fixture: "zabbix/zulip-trigger-status-problem.json",
            format: .zabbix,
            events: [
                (
                    .firing, .medium, "zabbix:trigger:14032",
                    "Zabbix agent on www.example.com is unreachable for 5 minutes"
                )
            ]
        ),
        Expectation(
            fixture: "zabbix/zulip-trigger-status-ok.json",
            format: .zabbix,
            events: [(.resolved, .medium, "zabbix:trigger:14032", "Zabbix agent on www.example.com is reachable")]
        ),
        // Graylog.
        Expectation(
            fixture: "graylog/event-aggregation.json",
            events: [(.firing, .high, "graylog:5f1c5e2b8e0ba62a5b1f4c7d:root", "SSH brute force")]
        ),
        Expectation(fixture: "graylog/event-test-notification.json", rejection: .notAnAlert),
        Expectation(
            fixture: "graylog/legacy-stream-alert.json",
            events: [
                (
                    .firing, .medium, "graylog:stream:55f1509dbee8e2841898eb64:5e7a9c8d-9bb1-47b6-b8db-4a3a83a25e0c",
                    "test: MESSAGE_COUNT"
                )
            ]
        ),
        // Pingdom.
        Expectation(
            fixture: "pingdom/check-http-dns-error.json",
            events: [(.firing, .medium, "pingdom:2048467", "Test check")]
        ),
        Expectation(
            fixture: "pingdom/check-http-down-high-importance.json",
            events: [(.firing, .high, "pingdom:803318", "Alerta API on OpenShift")]
        ),
        Expectation(
            fixture: "pingdom/check-imap-up.json",
            events: [(.resolved, .medium, "pingdom:2051859", "IMAP check")]
        ),
        Expectation(
            fixture: "pingdom/transaction-failing.json",
            events: [(.firing, .high, "pingdom:12345", "Checkout flow")]
        ),
        // Riemann, Site24x7, Splunk, UptimeRobot, VMware.
        Expectation(
            fixture: "riemann/event-ok.json",
            events: [(.resolved, .medium, "riemann:hostbob/servicejane", "servicejane on hostbob")]
        ),
        Expectation(
            fixture: "riemann/event-critical.json",
            events: [
                (
                    .firing, .critical, "riemann:db-7.example.com/postgres replication lag",
                    "postgres replication lag on db-7.example.com"
                )
            ]
        ),
        Expectation(
            fixture: "site24x7/goalert-down.json",
            events: [(.firing, .critical, "site24x7:GoAlert Site24x7 Test", "GoAlert Site24x7 Test")]
        ),
        Expectation(
            fixture: "splunk/alert-action-one-result.json",
            events: [(.firing, .medium, "splunk:search/sudo", "sudo")]
        ),
        Expectation(
            fixture: "uptimerobot/json-template-down.json",
            events: [(.firing, .medium, "uptimerobot:788551234", "API health")]
        ),
        Expectation(
            fixture: "uptimerobot/json-template-up.json",
            events: [(.resolved, .medium, "uptimerobot:788551234", "API health")]
        ),
        Expectation(
            fixture: "uptimerobot/zulip-template-down.json",
            events: [(.firing, .medium, "uptimerobot:server1.example.com", "Web Server")]
        ),
        Expectation(
            fixture: "uptimerobot/zulip-template-up.json",
            events: [(.resolved, .medium, "uptimerobot:server2.example.com", "Mail Server")]
        ),
        Expectation(
            fixture: "vmware/vrealize-active.json",
            events: [(.firing, .medium, "aria:sample-alert-uuid", "sample-info on sample-object-name")]
        ),
        // PagerDuty outgoing webhooks.
        Expectation(
            fixture: "pagerduty/webhook-v1-trigger.json",
            events: [(.firing, .medium, "pagerduty:incident:P140S4Y", "foo")]
        ),
        Expectation(
            fixture: "pagerduty/webhook-v1-ack-resolve.json",
            events: [
                (.acknowledged, .medium, "pagerduty:incident:PIJ90N7", "45645"),
                (.resolved, .medium, "pagerduty:incident:PIJ90N7", "45645"),
            ]
        ),
        Expectation(
            fixture: "pagerduty/webhook-v2-trigger.json",
            events: [(.firing, .high, "pagerduty:incident:PRORDTY", "My new incident")]
        ),
        Expectation(
            fixture: "pagerduty/webhook-v3-triggered.json",
            events: [(.firing, .high, "pagerduty:incident:PFQZPSY", "Test Incident 3")]
        ),
        Expectation(
            fixture: "pagerduty/webhook-v3-resolved.json",
            events: [(.resolved, .high, "pagerduty:incident:PCPZE64", "Test Incident")]
        ),
    ]

    @Test(arguments: table)
    func fixtureBecomesTheExpectedEventsOrRejection(expectation: Expectation) throws {
        switch try normalize(expectation.fixture, format: expectation.format) {
        case .success(let events):
            #expect(expectation.rejection == nil, "expected \(String(describing: expectation.rejection))")
            #expect(events.count == expectation.events.count)
            for (event, expected) in zip(events, expectation.events) {
                #expect(event.status == expected.status)
                #expect(event.severity == expected.severity)
                #expect(event.dedupKey == expected.key)
                #expect(event.title == expected.title)
            }
        case .failure(let rejection):
            #expect(rejection.code == expectation.rejection, "\(rejection)")
        }
    }

    /// Every JSON fixture is in one of the tables, so none is only fuzzed.
    @Test func everyJSONFixtureIsInATable() throws {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        var files: Set<String> = []
        for case let url as URL in enumerator where url.pathExtension == "json" {
            files.insert(url.pathComponents.suffix(2).joined(separator: "/"))
        }
        let covered = Set((Self.table + DecoderFixtureTests.table).map(\.fixture))
        #expect(files.subtracting(covered).sorted() == [])
    }
}

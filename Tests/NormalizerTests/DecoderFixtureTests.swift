import Testing

@testable import Normalizer

/// What one fixture must become.
struct Expectation: Sendable, CustomTestStringConvertible {
    var fixture: String
    var format: SourceFormat = .auto
    var events: [(status: AlertStatus, severity: Severity, key: String, title: String)] = []
    var rejection: Rejection.Code?

    var testDescription: String { fixture }
}

func normalize(
    _ fixturePath: String,
    format: SourceFormat = .auto,
    options: DecodeOptions = DecodeOptions(),
    headers: [NormalizerInput.Header] = []
)
    throws -> Result<[NormalizedEvent], Rejection>
{
    let input = NormalizerInput(
        payload: try fixture(fixturePath),
        headers: headers,
        origin: "test",
        receivedAt: Timestamp(rfc3339: "2026-11-24T12:00:00Z"),
        recordID: "test/0@1"
    )
    do {
        return .success(try Normalizer().normalize(input, route: SourceRoute(format: format, options: options)))
    } catch {
        return .failure(error)
    }
}

func events(
    _ fixturePath: String,
    format: SourceFormat = .auto,
    options: DecodeOptions = DecodeOptions()
) throws -> [NormalizedEvent] {
    try normalize(fixturePath, format: format, options: options).get()
}

@Suite("Decoder fixtures")
struct DecoderFixtureTests {
    static let table: [Expectation] = [
        Expectation(
            fixture: "grafana/unified-firing.json",
            events: [
                (.firing, .high, "grafana:3f2a9c1d0e4b5a67", "HighLatency: Checkout p99 above 2s"),
                (.resolved, .low, "grafana:aa00bb11cc22dd33", "DatasourceNoData"),
            ]
        ),
        Expectation(
            fixture: "grafana/legacy-alerting.json",
            events: [(.firing, .critical, "grafana-legacy:1:1", "Panel Title alert")]
        ),
        Expectation(
            fixture: "aws/sns-cloudwatch-alarm.json",
            events: [
                (.firing, .medium, "cw:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx-rate", "api-5xx-rate")
            ]
        ),
        Expectation(
            fixture: "aws/sns-composite-insufficient.json",
            events: [
                (
                    .firing, .medium, "cw:arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout:composite",
                    "checkout:composite"
                )
            ]
        ),
        Expectation(fixture: "aws/sns-subscription-confirmation.json", rejection: .snsControl),
        Expectation(
            fixture: "aws/eventbridge-alarm.json",
            events: [
                (
                    .resolved, .critical, "cw:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx-rate",
                    "api-5xx-rate"
                )
            ]
        ),
        Expectation(fixture: "aws/eventbridge-config-change.json"),
        Expectation(
            fixture: "azure/common-metric-fired.json",
            events: [
                (
                    .firing, .low,
                    "azure:/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.AlertsManagement/alerts/b9569717-bc32-442f-add5-83a997729330",
                    "WCUS-R2-Gen2 on wcus-r2-gen2"
                )
            ]
        ),
        Expectation(
            fixture: "azure/common-metric-resolved.json",
            events: [
                (
                    .resolved, .low,
                    "azure:/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.AlertsManagement/alerts/b9569717-bc32-442f-add5-83a997729330",
                    "WCUS-R2-Gen2 on wcus-r2-gen2"
                )
            ]
        ),
        Expectation(
            fixture: "gcp/incident-open.json",
            events: [(.firing, .critical, "gcp:0.opqiw61fsv7p", "Uptime check failed on www.example.com")]
        ),
        Expectation(
            fixture: "gcp/incident-closed.json",
            events: [(.resolved, .critical, "gcp:0.opqiw61fsv7p", "Uptime check failed on www.example.com")]
        ),
        Expectation(fixture: "gcp/test-notification.json", rejection: .notAnAlert),
        Expectation(
            fixture: "pagerduty/v2-trigger.json",
            events: [(.firing, .critical, "pd:e0dac8cc8273b6a0:samplekeyhere", "Example alert on host1.example.com")]
        ),
        Expectation(
            fixture: "pagerduty/v2-acknowledge.json",
            events: [(.acknowledged, .medium, "pd:e0dac8cc8273b6a0:samplekeyhere", "PagerDuty alert samplekeyhere")]
        ),
        Expectation(
            fixture: "pagerduty/v2-resolve.json",
            events: [(.resolved, .medium, "pd:e0dac8cc8273b6a0:samplekeyhere", "PagerDuty alert samplekeyhere")]
        ),
        Expectation(
            fixture: "pagerduty/v1-trigger.json",
            events: [
                (
                    .firing, .medium, "pd:79aae00aadba9c64:srv01/HTTP",
                    "FAILURE for production/HTTP on machine srv01.acme.com"
                )
            ]
        ),
        Expectation(
            fixture: "datadog/triggered.json",
            format: .datadog,
            events: [(.firing, .high, "dd:8765432109876543210", "Memory above 90% on db-1")]
        ),
        Expectation(
            fixture: "datadog/recovered.json",
            format: .datadog,
            events: [(.resolved, .high, "dd:8765432109876543210", "Memory above 90% on db-1")]
        ),
        Expectation(
            fixture: "zabbix/problem.json",
            format: .zabbix,
            events: [(.firing, .high, "zabbix:4242", "High CPU utilization on web-1")]
        ),
        Expectation(
            fixture: "zabbix/acknowledged.json",
            format: .zabbix,
            events: [(.acknowledged, .high, "zabbix:4242", "High CPU utilization on web-1")]
        ),
        Expectation(
            fixture: "zabbix/resolved.json",
            format: .zabbix,
            events: [(.resolved, .high, "zabbix:4242", "High CPU utilization on web-1")]
        ),
        Expectation(fixture: "zabbix/discovery.json", format: .zabbix, rejection: .notAnAlert),
        Expectation(
            fixture: "sentry/event-alert.json",
            events: [(.firing, .high, "sentry:issue:1117540176", "TypeError: Cannot read property 'id' of undefined")]
        ),
        Expectation(
            fixture: "sentry/metric-alert-critical.json",
            events: [(.firing, .critical, "sentry:metric:7", "Critical: Error rate above 5%")]
        ),
        Expectation(
            fixture: "sentry/metric-alert-resolved.json",
            events: [(.resolved, .medium, "sentry:metric:7", "Resolved: Error rate above 5%")]
        ),
        Expectation(fixture: "sentry/issue-archived.json"),
        Expectation(
            fixture: "sentry/legacy-plugin.json",
            events: [(.firing, .high, "sentry:issue:27379932", "This is an example Python exception")]
        ),
        Expectation(
            fixture: "newrelic/activated.json",
            events: [(.firing, .critical, "nr:f5a1a7c4-1234-4c4d-9e8f-7a6b5c4d3e2f", "web-1 is not reporting")]
        ),
        Expectation(
            fixture: "newrelic/acknowledged.json",
            events: [(.acknowledged, .critical, "nr:f5a1a7c4-1234-4c4d-9e8f-7a6b5c4d3e2f", "web-1 is not reporting")]
        ),
        Expectation(
            fixture: "newrelic/closed.json",
            events: [(.resolved, .critical, "nr:f5a1a7c4-1234-4c4d-9e8f-7a6b5c4d3e2f", "web-1 is not reporting")]
        ),
        Expectation(
            fixture: "opsgenie/create.json",
            events: [(.firing, .critical, "opsgenie:database-down-prod", "test alert message")]
        ),
        Expectation(
            fixture: "opsgenie/acknowledge.json",
            events: [(.acknowledged, .critical, "opsgenie:database-down-prod", "test alert message")]
        ),
        Expectation(
            fixture: "opsgenie/close.json",
            events: [(.resolved, .critical, "opsgenie:database-down-prod", "test alert message")]
        ),
        Expectation(fixture: "opsgenie/add-note.json"),
        Expectation(
            fixture: "generic/flat.json",
            format: .generic,
            events: [(.firing, .high, "generic:queue-orders-backlog", "Queue backlog above 10k")]
        ),
        Expectation(
            fixture: "generic/cloudevent.json",
            format: .generic,
            events: [(.firing, .critical, "generic:evt-8832", "Invoice run stuck")]
        ),
        Expectation(
            fixture: "alertmanager/group-mixed.json",
            events: [
                (.firing, .critical, "am:8b3a0e2c7f1d4a55", "ProbeFailure: Probe failed for https://api.example.com"),
                (.resolved, .critical, "am:0c1d2e3f40516273", "ProbeFailure: Probe failed for https://www.example.com"),
            ]
        ),
    ]

    @Test(arguments: table)
    func fixtureBecomesTheExpectedEventsOrRejection(expectation: Expectation) throws {
        switch try normalize(expectation.fixture, format: expectation.format) {
        case .success(let events):
            #expect(expectation.rejection == nil, "expected \(expectation.rejection!) but got \(events.count) events")
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

    @Test func grafanaKeepsItsLinksAndStateReason() throws {
        let all = try events("grafana/unified-firing.json")
        #expect(all[0].links.map(\.text) == ["source", "dashboard", "panel", "silence", "grafana"])
        #expect(all[0].labels["grafana_folder"] == "Platform")
        #expect(all[0].occurredAt?.rfc3339 == "2026-11-24T09:00:00.000Z")
        #expect(all[1].labels["grafana_state_reason"] == "MissingSeries")
        #expect(all[1].resolvedAt?.rfc3339 == "2026-11-24T09:00:00.000Z")
    }

    @Test func grafanaLegacyStatesAndLabels() throws {
        let event = try events("grafana/legacy-alerting.json")[0]
        #expect(event.labels["eval.High value"] == "100")
        #expect(event.links.map(\.text) == ["rule", "image"])
        #expect(event.occurredAt == Timestamp(rfc3339: "2026-11-24T12:00:00Z"), "no time in the payload: the record's")
        let original = String(decoding: try fixture("grafana/legacy-alerting.json"), as: UTF8.self)
        for (state, expected) in [("ok", 1), ("no_data", 1), ("paused", 0), ("pending", 0)] {
            let payload = original.replacingFirst(#""state": "alerting""#, with: #""state": "\#(state)""#)
            let events = try Normalizer().normalize(
                NormalizerInput(payload: Array(payload.utf8)),
                format: .grafanaLegacy
            )
            #expect(events.count == expected, "\(state)")
            if state == "no_data" {
                #expect(events.first?.severity == .critical, "an explicit severity tag wins over low")
            }
        }
    }

    @Test func cloudWatchLabelsFromTheARNAndTheTrigger() throws {
        let event = try events("aws/sns-cloudwatch-alarm.json")[0]
        #expect(event.labels["aws_region"] == "eu-west-1")
        #expect(event.labels["aws_account_id"] == "123456789012")
        #expect(event.labels["namespace"] == "AWS/ApiGateway")
        #expect(event.labels["dim.ApiName"] == "orders-api")
        #expect(event.labels["sns_message_id"] == "0b5c3f8e-1a2b-5c4d-9e8f-7a6b5c4d3e2f")
        #expect(event.occurredAt?.rfc3339 == "2026-11-24T09:56:12.345Z", "StateChangeTime with +0000")
        #expect(event.description.hasPrefix("5xx above 1%\n\nThreshold Crossed"))
        #expect(event.opensIncident)
    }

    @Test func compositeAlarmChildrenAndInsufficientData() throws {
        let event = try events("aws/sns-composite-insufficient.json")[0]
        #expect(
            event.labels["triggering_children"]
                == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high,arn:aws:cloudwatch:us-east-1:123456789012:alarm:mem-high"
        )
        #expect(event.labels["aws_region"] == "us-east-1", "alarm names with ':' do not break the ARN")
        #expect(event.labels["state"] == "insufficient_data")
        #expect(!event.opensIncident, "ALARM → INSUFFICIENT_DATA updates an open incident but opens none")
    }

    @Test(arguments: [
        ("OK", "INSUFFICIENT_DATA", 0), ("INSUFFICIENT_DATA", "OK", 1), ("INSUFFICIENT_DATA", "ALARM", 1),
        ("ALARM", "OK", 1),
    ])
    func cloudWatchTransitions(old: String, new: String, expected: Int) throws {
        let message =
            #"{"AlarmName":"a","AlarmArn":"arn:aws:cloudwatch:eu-west-1:1:alarm:a","NewStateValue":"\#(new)","OldStateValue":"\#(old)","StateChangeTime":"2026-11-24T09:00:00.000+0000"}"#
        #expect(try Normalizer().normalize(NormalizerInput(payload: Array(message.utf8))).count == expected)
    }

    @Test func eventBridgeAndSNSCopiesOfOneAlarmShareTheKey() throws {
        #expect(
            try events("aws/eventbridge-alarm.json")[0].dedupKey == events("aws/sns-cloudwatch-alarm.json")[0].dedupKey
        )
        let event = try events("aws/eventbridge-alarm.json")[0]
        #expect(event.labels["tag.team"] == "payments")
        #expect(event.labels["dim.ApiName"] == "orders-api")
        #expect(event.resolvedAt?.rfc3339 == "2026-11-24T10:06:12.345Z")
    }

    @Test func eventBridgeInsideSNSIsDecodedToo() throws {
        let inner = String(decoding: try fixture("aws/eventbridge-alarm.json"), as: UTF8.self)
        var quoted = ""
        JSONWriter.writeString(inner, into: &quoted)
        let envelope =
            #"{"Type":"Notification","MessageId":"m1","TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":\#(quoted)}"#
        let event = try Normalizer().normalize(NormalizerInput(payload: Array(envelope.utf8)))[0]
        #expect(event.source == "eventbridge")
        #expect(event.labels["sns_message_id"] == "m1")
    }

    @Test func snsPlainTextMessageIsNotGuessed() throws {
        let envelope =
            #"{"Type":"Notification","MessageId":"m1","TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":"hello"}"#
        #expect(throws: Rejection.self) { try Normalizer().normalize(NormalizerInput(payload: Array(envelope.utf8))) }
    }

    @Test func azureDescriptionSummarisesTheConditions() throws {
        let fired = try events("azure/common-metric-fired.json")[0]
        #expect(fired.description.contains("Percentage CPU GreaterThan 25 (value 7.727)"))
        #expect(fired.occurredAt?.rfc3339 == "2019-03-22T13:58:24.371Z", "seven fractional digits")
        #expect(fired.labels["custom.Key1"] == "Value1")
        #expect(
            fired.links.contains {
                $0.text == "resource" && $0.href.hasPrefix("https://portal.azure.com/#resource/subscriptions/")
            }
        )
        #expect(try events("azure/common-metric-resolved.json")[0].resolvedAt?.rfc3339 == "2019-03-22T14:03:16.224Z")
    }

    @Test func gcpTimesAreUnixSecondsAndLabelsAreCollected() throws {
        let open = try events("gcp/incident-open.json")[0]
        #expect(open.occurredAt == Timestamp(millisecondsSinceEpoch: 1_577_840_461_000))
        #expect(open.labels["resource.host"] == "www.example.com")
        #expect(open.labels["user.team"] == "web")
        #expect(open.labels["policy.tier"] == "1")
        #expect(open.links.map(\.text) == ["incident", "Playbook"])
        #expect(open.description.contains("**load balancer**"))
        #expect(
            try events("gcp/incident-closed.json")[0].resolvedAt == Timestamp(millisecondsSinceEpoch: 1_577_844_061_000)
        )
    }

    @Test func pagerDutyNeverCopiesTheRoutingKey() throws {
        for name in ["v2-trigger", "v2-acknowledge", "v2-resolve", "v1-trigger"] {
            let event = try events("pagerduty/\(name).json")[0]
            let rendered = JSONWriter.string(event.jsonValue)
            #expect(!rendered.contains("samplekeyhere0000000000000000000"), "\(name)")
            #expect(!rendered.contains("e93facc04764012d7bfb002500d5d1a6"), "\(name)")
        }
        let trigger = try events("pagerduty/v2-trigger.json")[0]
        #expect(trigger.labels["details.free space.disk"] == "1%")
        #expect(trigger.labels["component"] == "postgres")
        #expect(trigger.links.map(\.text) == ["Link text", "image", "Sample Monitoring Service"])
        #expect(trigger.occurredAt?.rfc3339 == "2015-07-17T08:42:58.315Z")
        let ack = try events("pagerduty/v2-acknowledge.json")[0]
        #expect(
            !ack.opensIncident && !ack.carriesContent,
            "an acknowledge only changes an open alert and carries no title"
        )
    }

    @Test func pagerDutyTriggerWithoutDedupKeyIsAlwaysNew() throws {
        let body =
            #"{"routing_key":"r","event_action":"trigger","payload":{"summary":"s","severity":"info","source":"x"}}"#
        let first = try Normalizer().normalize(NormalizerInput(payload: Array(body.utf8), recordID: "raw/0@1"))[0]
        let second = try Normalizer().normalize(NormalizerInput(payload: Array(body.utf8), recordID: "raw/0@2"))[0]
        #expect(first.dedupKey != second.dedupKey)
        let resolve = #"{"routing_key":"r","event_action":"resolve"}"#
        #expect(throws: Rejection.self) { try Normalizer().normalize(NormalizerInput(payload: Array(resolve.utf8))) }
    }

    @Test func datadogTagsAndEpochMilliseconds() throws {
        let event = try events("datadog/triggered.json", format: .datadog)[0]
        #expect(event.labels["tag.env"] == "prod")
        #expect(event.labels["tag.role"] == "primary")
        #expect(event.occurredAt == Timestamp(millisecondsSinceEpoch: 1_406_662_672_000))
        #expect(DatadogDecoder.strippingLeadingTags("[Re-Triggered] [P1] [Warn] Disk") == "Disk")
    }

    @Test func zabbixDatesUseTheConfiguredZoneAndTagsAreParsed() throws {
        var options = DecodeOptions()
        options.zabbixUTCOffset = .seconds(2 * 3600)
        let problem = try events("zabbix/problem.json", format: .zabbix, options: options)[0]
        #expect(problem.occurredAt?.rfc3339 == "2026-11-24T08:15:00.000Z")
        #expect(problem.labels["tag.component"] == "cpu")
        #expect(problem.labels["update_action"] == nil, "an unresolved macro is no value")
        let resolved = try events("zabbix/resolved.json", format: .zabbix, options: options)[0]
        #expect(resolved.resolvedAt?.rfc3339 == "2026-11-24T08:45:30.000Z")
    }

    @Test func sentryTagsArePairs() throws {
        let event = try events("sentry/event-alert.json")[0]
        #expect(event.labels["tag.environment"] == "production")
        #expect(event.occurredAt?.rfc3339 == "2026-11-24T10:12:57.677Z")
        #expect(event.links.map(\.text) == ["event", "issue"])
    }

    @Test func sentryResourceComesFromTheHeaderWhenPresent() throws {
        let result = try normalize(
            "sentry/metric-alert-critical.json",
            headers: [.init(name: "Sentry-Hook-Resource", value: Array("issue".utf8))]
        )
        guard case .failure(let rejection) = result else {
            Issue.record("a metric alert body announced as an issue has no data.issue")
            return
        }
        #expect(rejection.code == .invalidPayload)
    }

    @Test func newRelicListsAndCreatedState() throws {
        let event = try events("newrelic/activated.json")[0]
        #expect(event.labels["entities"] == "web-1,web-2")
        #expect(event.links.map(\.text) == ["issue", "runbook"])
        #expect(event.occurredAt == Timestamp(millisecondsSinceEpoch: 1_795_515_000_000))
        // A workflow may notify on creation only: CREATED fires like ACTIVATED, on the same key.
        let created = String(decoding: try fixture("newrelic/activated.json"), as: UTF8.self).replacingFirst(
            #""state":"ACTIVATED""#,
            with: #""state":"CREATED""#
        )
        let fromCreated = try Normalizer().normalize(NormalizerInput(payload: Array(created.utf8)))
        #expect(fromCreated.map(\.status) == [.firing])
        #expect(fromCreated.first?.dedupKey == event.dedupKey)
    }

    @Test func opsgenieNanosecondUpdatedAtStaysExact() throws {
        let closed = try events("opsgenie/close.json")[0]
        #expect(closed.resolvedAt == Timestamp(millisecondsSinceEpoch: 1_420_452_224_764))
        #expect(closed.labels["tags"] == "tag1,tag2")
        #expect(!(try events("opsgenie/acknowledge.json")[0].opensIncident))
    }

    @Test func genericFieldPathsAndValueMapsFromTheRoute() throws {
        var options = DecodeOptions()
        options.generic.title = ["alert.name"]
        options.generic.severity = ["alert.sev"]
        options.generic.status = ["alert.phase"]
        options.generic.dedupKey = ["meta.uid"]
        options.generic.occurredAt = ["meta.raisedAt"]
        options.generic.labels = ["alert"]
        options.generic.statusValues = ["raised": .firing, "cleared": .resolved]
        options.generic.severityValues = ["p0": .critical]
        let event = try events("generic/custom-paths.json", format: .generic, options: options)[0]
        #expect(event.title == "Disk almost full")
        #expect(event.severity == .critical)
        #expect(event.status == .firing)
        #expect(event.dedupKey == "generic:disk-db-7")
        #expect(event.occurredAt?.rfc3339 == "2026-11-24T10:00:00.000Z")
        #expect(event.labels["host"] == "db-7")
        #expect(throws: Rejection.self) { try events("generic/custom-paths.json", format: .generic) }
    }

    @Test func genericWithoutAKeyHashesSourceAndLabels() throws {
        let one = #"{"title":"t","labels":{"a":"1"},"source":"s"}"#
        let same = #"{"title":"other words","labels":{"a":"1"},"source":"s"}"#
        let other = #"{"title":"t","labels":{"a":"2"},"source":"s"}"#
        let keys = try [one, same, other].map {
            try Normalizer().normalize(NormalizerInput(payload: Array($0.utf8)), format: .generic)[0].dedupKey
        }
        #expect(keys[0] == keys[1])
        #expect(keys[0] != keys[2])
        #expect(keys[0].hasPrefix("generic:"))
    }

    @Test func genericCloudEventUsesEnvelopeFields() throws {
        let event = try events("generic/cloudevent.json", format: .generic)[0]
        #expect(event.labels["generic_source"] == "//billing/watchdog")
        #expect(event.labels["team"] == "billing")
        #expect(event.occurredAt?.rfc3339 == "2026-11-24T10:20:00.000Z")
    }

    @Test func autoFallsBackToGenericOnlyWhenTheRouteAllowsIt() throws {
        let body = Array(#"{"title":"anything","status":"ok"}"#.utf8)
        #expect(throws: Rejection.self) { try Normalizer().normalize(NormalizerInput(payload: body)) }
        var options = DecodeOptions()
        options.genericFallback = true
        let event = try Normalizer().normalize(NormalizerInput(payload: body), route: SourceRoute(options: options))[0]
        #expect(event.status == .resolved)
    }

    @Test func routeOnlyFormatsAreNeverDetected() throws {
        for (path, format) in [("datadog/triggered.json", SourceFormat.datadog), ("zabbix/problem.json", .zabbix)] {
            guard case .failure(let rejection) = try normalize(path) else {
                Issue.record("\(path) must not be detected")
                continue
            }
            #expect(rejection.code == .unrecognizedFormat)
            #expect(try normalize(path, format: format).get().count == 1)
        }
    }

    @Test func epochValuesAreToldApartByMagnitude() {
        let expected = Timestamp(millisecondsSinceEpoch: 1_566_248_777_677)
        #expect(Timestamp(flexible: .number("1566248777.677")) == expected)
        #expect(Timestamp(flexible: .number("1566248777677")) == expected)
        #expect(Timestamp(flexible: .string("1566248777677000")) == expected)
        #expect(Timestamp(flexible: .number("1566248777677000000")) == expected)
        #expect(Timestamp(flexible: .number("0")) == nil)
        #expect(Timestamp(flexible: .null) == nil)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}

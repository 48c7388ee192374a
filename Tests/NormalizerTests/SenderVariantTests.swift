import Foundation
import Testing

@testable import Normalizer

/// The other states of the real senders' payloads, made from their fixtures by changing the one field that differs
/// (the capture of every state is not public), and the details a title or key alone does not show.
@Suite("Real senders, other states")
struct SenderVariantTests {
    /// The fixture's text with `target` replaced, normalized by detection.
    static func variant(_ path: String, _ target: String, _ replacement: String) throws -> [NormalizedEvent] {
        let original = String(decoding: try fixture(path), as: UTF8.self)
        #expect(original.contains(target), "\(path) has \(target)")
        let input = NormalizerInput(
            payload: Array(original.replacingFirst(target, with: replacement).utf8),
            receivedAt: Timestamp(rfc3339: "2026-11-24T12:00:00Z")
        )
        return try Normalizer().normalize(input)
    }

    @Test(arguments: [
        ("azure/classic-activated-requests.json", #""status": "Activated""#, #""status": "Resolved""#),
        ("vmware/vrealize-active.json", #""status":"ACTIVE""#, #""status":"CANCELED""#),
        ("site24x7/goalert-down.json", #""STATUS": "DOWN""#, #""STATUS": "UP""#),
        ("pagerduty/webhook-v2-trigger.json", #""event":"incident.trigger""#, #""event":"incident.resolve""#),
        ("uptimerobot/json-template-down.json", #""alertType": "1""#, #""alertType": "2""#),
        ("aws/sns-alerta-alert.json", #"\"status\":\"open\""#, #"\"status\":\"closed\""#),
        ("aws/sns-aws-health-issue.json", #"\"statusCode\":\"open\""#, #"\"statusCode\":\"closed\""#),
        ("riemann/event-critical.json", #""state": "critical""#, #""state": "ok""#),
    ])
    func theResolvingStateResolvesTheSameProblem(path: String, target: String, replacement: String) throws {
        let firing = try events(path)
        let resolved = try Self.variant(path, target, replacement)
        #expect(firing.map(\.status) == [.firing])
        #expect(resolved.map(\.status) == [.resolved])
        #expect(resolved.first?.dedupKey == firing.first?.dedupKey)
        #expect(resolved.first?.resolvedAt != nil)
    }

    @Test(arguments: [
        ("site24x7/goalert-down.json", #""STATUS": "DOWN""#, #""STATUS": "MAINTENANCE""#),
        ("uptimerobot/json-template-down.json", #""alertType": "1""#, #""alertType": "99""#),
        (
            "pagerduty/webhook-v3-triggered.json", #""event_type": "incident.triggered""#,
            #""event_type": "incident.priority_updated""#
        ),
        ("grafana/legacy-v7-no-data.json", #""state": "alerting""#, #""state": "paused""#),
    ])
    func noticesThatChangeNoStatusGiveNoEvent(path: String, target: String, replacement: String) throws {
        #expect(try Self.variant(path, target, replacement).isEmpty)
    }

    @Test func nonIncidentWebhooksAndTestNotificationsAreNotAlerts() throws {
        #expect {
            try Self.variant(
                "pagerduty/webhook-v3-triggered.json",
                #""resource_type": "incident""#,
                #""resource_type": "service""#
            )
        } throws: { ($0 as? Rejection)?.code == .notAnAlert }
    }

    @Test func aGrafanaTestAlertNextToARealOneIsNoTest() throws {
        let test = String(decoding: try fixture("grafana/unified-v8-test-notification.json"), as: UTF8.self)
        let mixed = test.replacingFirst(#""alertname": "TestAlert""#, with: #""alertname": "DiskFull""#)
        let events = try Normalizer().normalize(NormalizerInput(payload: Array(mixed.utf8)))
        #expect(events.count == 1)
    }

    @Test func uptimeRobotCertificateExpiryIsItsOwnLowProblem() throws {
        let expiry = try Self.variant("uptimerobot/json-template-down.json", #""alertType": "1""#, #""alertType": "3""#)
        #expect(expiry.first?.dedupKey == "uptimerobot:788551234:ssl")
        #expect(expiry.first?.severity == .low)
        #expect(try events("uptimerobot/zulip-template-down.json")[0].labels["alert_duration"] == nil, "*unexpanded*")
    }

    @Test func riemannExpiredFiresLow() throws {
        let expired = try Self.variant("riemann/event-critical.json", #""state": "critical""#, #""state": "expired""#)
        #expect(expired.first?.status == .firing)
        #expect(expired.first?.severity == .low)
        #expect(try events("riemann/event-critical.json")[0].labels["attr.cluster"] == "orders")
    }

    @Test func lambdaAlarmActionsCarryWhatTheSNSCopyCarries() throws {
        let composite = try events("aws/lambda-alarm-action-composite.json")[0]
        #expect(
            composite.labels["triggering_children"]
                == "arn:aws:cloudwatch:us-east-1:111122223333:alarm:CompositeDemo.FirstChild"
        )
        #expect(composite.labels["alarm_rule"] == "ALARM(CompositeDemo.FirstChild) OR ALARM(CompositeDemo.SecondChild)")
        let metric = try events("aws/lambda-alarm-action-metric.json")[0]
        #expect(metric.labels["dim.InstanceId"] == "i-12345678")
        #expect(metric.occurredAt?.rfc3339 == "2023-08-04T12:36:15.490Z")
        #expect(metric.dedupKey.hasPrefix("cw:arn:aws:cloudwatch:"), "keyed like the SNS and EventBridge copies")
    }

    @Test func relayedPayloadsKeepTheirEnvelopeLabels() throws {
        let alerta = try events("aws/sns-alerta-alert.json")[0]
        #expect(alerta.labels["sns_message_id"] == "e288882d-4281-5be4-8fde-dccc11c8cb02")
        #expect(alerta.labels["environment"] == "Production")
        #expect(alerta.labels["service"] == "Web,App")
        let health = try events("aws/sns-aws-health-issue.json")[0]
        #expect(health.occurredAt?.rfc3339 == "2023-01-27T06:02:51.000Z", "an RFC 1123 start time")
        #expect(health.description.hasPrefix("Current severity level"))
    }

    @Test func alertmanagerRelaysWithoutAnyStatusAreToldByTheEndTime() throws {
        let alert = #"{"labels":{"alertname":"A"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"ENDS"}"#
        func status(ends: String, received: String) throws -> (AlertStatus?, Bool) {
            let body = #"{"receiver":"relay","alerts":[\#(alert.replacingFirst("ENDS", with: ends))]}"#
            let input = NormalizerInput(payload: Array(body.utf8), receivedAt: Timestamp(rfc3339: received))
            let result = try Normalizer().normalization(of: input, route: SourceRoute())
            return (result.events.first?.status, result.readsTransport)
        }
        #expect(try status(ends: "2026-11-24T11:00:00Z", received: "2026-11-24T12:00:00Z") == (.resolved, true))
        #expect(try status(ends: "2026-11-24T13:00:00Z", received: "2026-11-24T12:00:00Z") == (.firing, true))
        let numeric = try events("alertmanager/v3-numeric-groupkey.json")[0]
        #expect(numeric.labels["alertmanager_group_key"] == "5615590933959184469")
    }

    @Test func repeatedMembersAreReadOnlyForSendersKnownToWriteThem() throws {
        let grafana = try events("grafana/legacy-repeated-key.json")[0]
        #expect(grafana.labels["team"] == "storage", "the last value wins")
        for (payload, format) in [
            (#"{"a":1,"a":2}"#, SourceFormat.auto), (#"{"title":"x","title":"y"}"#, .generic),
            (#"{"version":"4","groupKey":"g","groupKey":"h","alerts":[]}"#, .auto),
        ] {
            #expect(throws: Rejection.self, "\(payload)") {
                try Normalizer().normalize(NormalizerInput(payload: Array(payload.utf8)), format: format)
            }
        }
        let forced = try Normalizer().normalize(
            NormalizerInput(payload: try fixture("grafana/legacy-repeated-key.json")),
            format: .grafanaLegacy
        )
        #expect(forced.count == 1)
    }
}

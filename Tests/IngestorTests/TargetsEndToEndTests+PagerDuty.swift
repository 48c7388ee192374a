import IncidentAPIFakes
import IngestorKit
import KafkaIO
import Normalizer
import Testing

/// PagerDuty configured from YAML, through the real worker.
extension TargetsEndToEndTests {
    /// The mail reply has no Events API equivalent: it is dead-lettered as `target_unsupported`, not dropped unseen.
    @Test(.timeLimit(.minutes(2)))
    func pagerDutyRunsAWholeLifecycle() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        let pagerduty = FakePagerDutyAPI(routingKey: "e2e0routing0key00000000000000000")
        let server = FakeIncidentAPIServer(api: pagerduty, logger: e2eLogger)
        try await server.withRunning { baseURL in
            try await run(
                targetYAML: """
                    target:
                      kind: pagerduty
                      pagerduty:
                        base_url: "\(baseURL)"
                        routing_key: {env: PD_ROUTING_KEY}
                    """,
                environment: ["PD_ROUTING_KEY": "e2e0routing0key00000000000000000"],
                cluster: cluster,
                topic: "pagerduty.raw",
                deadLetters: 1
            )
        }
        let alerts = server.ledger.incidents
        #expect(alerts.count == 2)
        let alert = alerts.first { $0.externalReference == "am:e2e0000000000001" }
        #expect(alert?.calls == ["create", "update", "resolve"])
        #expect(alert?.fields["severity"]?.string == "critical")
        #expect(alert?.fields["source"]?.string == "db-1")
        #expect(alerts.first { $0.externalReference == "email:thread:cap-1@example.com" }?.calls == ["create"])
    }
}

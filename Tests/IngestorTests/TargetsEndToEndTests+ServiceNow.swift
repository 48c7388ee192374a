import IncidentAPIFakes
import IngestorKit
import KafkaIO
import Normalizer
import Testing

/// ServiceNow configured from YAML, through the real worker.
extension TargetsEndToEndTests {
    @Test(.timeLimit(.minutes(2)))
    func serviceNowRunsAWholeLifecycle() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        let servicenow = FakeServiceNowAPI(password: "sn-password", clientSecret: "sn-client-secret")
        let server = FakeIncidentAPIServer(api: servicenow, logger: e2eLogger)
        try await server.withRunning { baseURL in
            try await run(
                targetYAML: """
                    target:
                      kind: servicenow
                      servicenow:
                        base_url: "\(baseURL)"
                        caller_id: ingestor
                        auth:
                          type: oauth2_password
                          client_id: ingestor-client
                          client_secret: {env: SN_CLIENT_SECRET}
                          username: ingestor
                          password: {env: SN_PASSWORD}
                    """,
                environment: ["SN_CLIENT_SECRET": "sn-client-secret", "SN_PASSWORD": "sn-password"],
                cluster: cluster,
                topic: "servicenow.raw"
            )
        }
        let incidents = server.ledger.incidents
        #expect(incidents.count == 2)
        let alert = incidents.first { $0.externalReference == "am:e2e0000000000001" }
        #expect(alert?.calls == ["create", "update", "resolve"])
        #expect(alert?.fields["state"]?.string == "6")
        #expect(alert?.fields["priority"]?.string == "1")
        let thread = incidents.first { $0.externalReference == "email:thread:cap-1@example.com" }
        #expect(thread?.calls == ["create", "comment"])
        #expect(thread?.notes.first?.contains("Ordered new disks.") == true)
        #expect(servicenow.tokensIssued == 1)
    }
}

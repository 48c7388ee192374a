import IncidentAPI
import IngestorKit
import Normalizer
import Testing

/// `target.servicenow` and `target.pagerduty` as the README shows them.
extension TargetConfigurationTests {
    @Test func serviceNowWithOAuthDefaultsToItsTokenEndpointAndAnUrlEncodedForm() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: Self.head + """
                target:
                  kind: servicenow
                  servicenow:
                    base_url: https://acme.service-now.com/
                    auth: {type: oauth2_password, client_id: c, client_secret: {env: S}, username: u, password: {env: P}}
                    journal_field: comments
                    acknowledged_state: 2
                    urgency: {medium: 1}
                """,
            environment: ["S": "client-secret", "P": "user-password"]
        )
        let servicenow = try #require(configuration.target.settings as? ServiceNowConfiguration)
        guard case .passwordGrant(let grant) = servicenow.authentication else {
            Issue.record("expected the password grant, got \(servicenow.authentication)")
            return
        }
        #expect(grant.tokenURL == "https://acme.service-now.com/oauth_token.do")
        #expect(grant.form == .urlEncodedWithClientInForm, "ServiceNow takes only application/x-www-form-urlencoded")
        #expect(servicenow.journalField == .comments)
        #expect(servicenow.acknowledgedState == 2)
        #expect(servicenow.urgency[.medium] == 1 && servicenow.urgency[.critical] == 1, "unset levels keep defaults")
        #expect(servicenow.closeCode == "Solution provided")
    }

    @Test func serviceNowLevelsAndPagerDutySeveritiesAreChecked() {
        let servicenow = problems(
            Self.head + """
                target:
                  kind: servicenow
                  servicenow:
                    base_url: https://acme.service-now.com
                    auth: {type: basic, username: u, password: {env: P}}
                    impact: {critical: 0}
                """,
            environment: ["P": "user-password"]
        )
        #expect(servicenow.map(\.path) == ["target.servicenow.impact.critical"])
        let pagerduty = problems(
            Self.head + """
                target:
                  kind: pagerduty
                  pagerduty:
                    severities: {high: high}
                """
        )
        #expect(Set(pagerduty.map(\.path)) == ["target.pagerduty.severities.high", "target.pagerduty.routing_key"])
    }

    @Test func pagerDutyNeedsOnlyItsRoutingKey() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: Self.head + """
                target:
                  kind: pagerduty
                  pagerduty: {routing_key: {env: PD_KEY}}
                """,
            environment: ["PD_KEY": "R0UT1NGK3Y0000000000000000000000"]
        )
        let pagerduty = try #require(configuration.target.settings as? PagerDutyConfiguration)
        #expect(pagerduty.baseURL == "https://events.pagerduty.com")
        #expect(pagerduty.routingKey == Secret("R0UT1NGK3Y0000000000000000000000"))
        #expect(pagerduty.severities[.high] == "error")
    }
}

import IncidentAPI
import IngestorKit
import Normalizer
import Testing

@Suite("Target configuration")
struct TargetConfigurationTests {
    static let head = """
        kafka: {bootstrap_servers: "127.0.0.1:9092"}
        sources: [{topic: a}]
        dead_letter: {topic: dlq}

        """

    @Test func motadataWithAnAPIKeyAndTheLegacyAPI() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: Self.head + """
                target:
                  kind: motadata
                  motadata:
                    base_url: https://sd.example.com/
                    api: incident
                    requester_email: noc@example.com
                    auth: {type: apikey, key: {env: MOTADATA_KEY}}
                    levels: {critical: {priority: URGENT}}
                """,
            environment: ["MOTADATA_KEY": "k-123456"]
        )
        guard let motadata = configuration.target.settings as? MotadataConfiguration else {
            Issue.record("expected motadata, got \(configuration.target.name)")
            return
        }
        #expect(motadata.baseURL == "https://sd.example.com")
        #expect(motadata.api == .incident)
        #expect(motadata.authentication == .header(name: "Authorization", value: Secret("Apikey k-123456")))
        #expect(motadata.levels[.critical] == .init(priority: "URGENT", urgency: "URGENT", impact: "ONBUSINESS"))
        #expect(motadata.levels[.high]?.impact == "ONDEPARTMENT", "unset levels keep the generation's defaults")
    }

    @Test func motadataDefaultsToTheIncidentAPIAndAnApikeyMustSayWhichAPI() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: Self.head + """
                target:
                  kind: motadata
                  motadata:
                    base_url: https://sd.example.com
                    requester_email: noc@example.com
                    auth: {type: oauth2_password, client_id: c, client_secret: {env: S}, username: u, password: {env: P}}
                """,
            environment: ["S": "client-secret", "P": "user-password"]
        )
        guard let motadata = configuration.target.settings as? MotadataConfiguration else {
            Issue.record("expected motadata")
            return
        }
        #expect(motadata.api == .incident, "the API of Motadata's Update an Incident page")
        #expect(motadata.levels[.critical]?.impact == "ONBUSINESS")
        let found = problems(
            Self.head + """
                target:
                  kind: motadata
                  motadata:
                    base_url: https://sd.example.com
                    requester_email: noc@example.com
                    auth: {type: apikey, key: {env: MOTADATA_KEY}}
                """,
            environment: ["MOTADATA_KEY": "k-123456"]
        )
        let problem = try #require(found.first { $0.path == "target.motadata.api" }, "\(found)")
        #expect(problem.rule.contains("set api: request"))
    }

    @Test func motadataPasswordGrantDefaultsTheTokenURL() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: Self.head + """
                target:
                  kind: motadata
                  motadata:
                    base_url: https://sd.example.com
                    requester_email: noc@example.com
                    auth: {type: oauth2_password, client_id: c, client_secret: {env: S}, username: u, password: {env: P}}
                """,
            environment: ["S": "client-secret", "P": "user-password"]
        )
        guard let motadata = configuration.target.settings as? MotadataConfiguration,
            case .passwordGrant(let grant) = motadata.authentication
        else {
            Issue.record("expected a password grant")
            return
        }
        #expect(grant.tokenURL == "https://sd.example.com/api/oauth/token")
        #expect(grant.password.exposedValue == "user-password")
    }

    @Test func genericHTTPProblemsAreListedByKeyPath() {
        let found = problems(
            Self.head + """
                target:
                  kind: http
                  http:
                    base_url: itsm.example.com
                    auth: {type: bearer, token: clear-text}
                    create:
                      path: /api/incidents/{{titel}}
                      body: '{"title": {{title}}}'
                    resolve:
                      methd: POST
                      path: /x
                  motadata:
                    base_url: https://x
                """
        )
        let paths = Set(found.map(\.path))
        for expected in [
            "target.motadata", "target.http.base_url", "target.http.auth.token", "target.http.create.body",
            "target.http.create.id_pointer", "target.http.create.{{titel}}", "target.http.resolve.methd",
        ] {
            #expect(paths.contains(expected), "missing \(expected) in \(found)")
        }
        #expect(!paths.contains("target.motadata.base_url"), "an unused kind's keys are not listed one by one")
    }

    @Test func genericHTTPReadsOperationsAndMaps() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: Self.head + """
                target:
                  kind: http
                  http:
                    name: itsm
                    base_url: https://itsm.example.com
                    auth: {type: header, name: X-Api-Key, secret: {env: KEY}}
                    create: {path: /incidents, body: '{"t": "{{title}}", "n": 3}', id_pointer: /id}
                    severity_values: {critical: P1}
                """,
            environment: ["KEY": "key-123456"]
        )
        guard let http = configuration.target.settings as? GenericHTTPConfiguration else {
            Issue.record("expected http")
            return
        }
        #expect(configuration.target.name == "itsm")
        #expect(http.authentication == .header(name: "X-Api-Key", value: Secret("key-123456")))
        #expect(http.operations[.create]?.body?["n"]?.int64 == 3, "the body template keeps JSON types")
        #expect(http.operations[.create]?.method == "POST")
        #expect(http.operations[.update] == nil)
        #expect(http.severityValues[.critical] == "P1")
        #expect(http.severityValues[.high] == "high")
    }

    @Test func devRevAcknowledgedStageAndTagLabels() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: Self.head + """
                target:
                  kind: devrev
                  devrev:
                    token: {env: T}
                    resolved_stage: don:stage/4
                    acknowledged_stage: don:stage/2
                    tag_labels: [team, env]
                """,
            environment: ["T": "token-123456"]
        )
        guard let devrev = configuration.target.settings as? DevRevConfiguration else {
            Issue.record("expected devrev")
            return
        }
        #expect(devrev.acknowledgedStage == "don:stage/2")
        #expect(devrev.tagLabels == ["team", "env"])
    }
}

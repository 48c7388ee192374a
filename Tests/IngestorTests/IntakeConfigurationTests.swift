import Foundation
import IngestorKit
import Testing
import Yams

/// `intake.*` as the loader reads it, `check-config` reports it, and `schemas/config.schema.json` describes it.
@Suite("Webhook intake: configuration", .serialized)
struct IntakeConfigurationTests {
    static let base = """
        kafka: {bootstrap_servers: "127.0.0.1:9092"}
        sources: [{topic: alerts.raw}]
        dead_letter: {topic: alerts.dlq}
        target: {kind: devrev, devrev: {base_url: "http://127.0.0.1:9", token: {env: INTAKE_TOKEN}, resolved_stage: x}}
        """

    /// Every problem the loader reports for `yaml`, one description each; none when it loads.
    static func problems(_ yaml: String, environment: [String: String] = IntakeTests.secretEnvironment) -> [String] {
        do {
            _ = try IngestorConfiguration.parse(yaml: base + "\n" + yaml, environment: environment)
            return []
        } catch let error as ConfigurationError {
            return error.problems.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func theConfigurationIsCheckedBeforeAnythingStarts() throws {
        for (intake, expected) in [
            ("intake: {sources: [{name: am, topic: alerts.raw}]}", "intake.sources[0].auth"),
            (
                "intake: {sources: [{name: am, topic: alerts.raw, auth: {bearer: s3cret}}]}",
                "must not be written in the file"
            ),
            (
                "intake: {sources: [{name: am, topic: alerts.raw, auth: {none: true, bearer: {env: INTAKE_TOKEN}}}]}",
                "exactly one"
            ),
            ("intake: {sources: [{name: a/b, topic: alerts.raw, auth: {none: true}}]}", "URL path segment"),
            ("intake: {sources: [{name: am, topic: alerts.dlq, auth: {none: true}}]}", "dead-letter topic"),
            ("intake: {sources: []}", "at least one source"),
        ] {
            let problems = Self.problems(intake)
            #expect(problems.contains { $0.contains(expected) }, "\(intake): \(problems)")
        }
        let parsed = try IngestorConfiguration.parse(
            yaml: Self.base
                + "\nintake: {port: 8080, sources: [{name: cw, topic: alerts.raw, auth: {none: true}, sns: {}}]}",
            environment: IntakeTests.secretEnvironment
        )
        let intake = try #require(parsed.intake)
        #expect(intake.port == 8080)
        #expect(intake.maxBodyBytes == 1 << 20, "limits.max_payload_bytes by default")
        #expect(intake.sources[0].sns?.verifySignatures == true, "signatures are checked unless turned off")
        #expect(intake.sources[0].sns?.confirmSubscriptions == false, "confirming is opt-in")
    }

    @Test func connectionLimitsHaveDefaultsAndAreRead() throws {
        let source = "sources: [{name: am, topic: alerts.raw, auth: {none: true}}]"
        let defaults = try #require(
            try IngestorConfiguration.parse(
                yaml: Self.base + "\nintake: {\(source)}",
                environment: IntakeTests.secretEnvironment
            ).intake
        )
        #expect(defaults.port == 9465, "a port of its own by default, next to ops.port 9464")
        #expect(defaults.connections.headerTimeout == .seconds(10))
        #expect(defaults.connections.bodyTimeout == .seconds(30))
        #expect(defaults.connections.idleTimeout == .seconds(60))
        #expect(defaults.connections.maxConnections == 1024)
        #expect(defaults.connections.maxConnectionsPerAddress == 128)

        let set = try #require(
            try IngestorConfiguration.parse(
                yaml: Self.base + """

                    intake: {header_timeout: 2s, body_timeout: 500ms, idle_timeout: 1m, max_connections: 50,
                             max_connections_per_address: 0, \(source)}
                    """,
                environment: IntakeTests.secretEnvironment
            ).intake
        )
        #expect(set.connections.headerTimeout == .seconds(2))
        #expect(set.connections.bodyTimeout == .milliseconds(500))
        #expect(set.connections.lingerTimeout == .milliseconds(500), "never longer than the body timeout")
        #expect(set.connections.idleTimeout == .seconds(60))
        #expect(set.connections.maxConnections == 50)
        #expect(set.connections.maxConnectionsPerAddress == 0, "0: no limit per address")
    }

    @Test func badConnectionLimitsNameTheirKey() {
        let source = "sources: [{name: am, topic: alerts.raw, auth: {none: true}}]"
        for (intake, key) in [
            ("header_timeout: 10", "intake.header_timeout"),
            ("body_timeout: 2h", "intake.body_timeout"),
            ("idle_timeout: 50ms", "intake.idle_timeout"),
            ("max_connections: 0", "intake.max_connections"),
            ("max_connections_per_address: -1", "intake.max_connections_per_address"),
            ("{max_connections: 10, max_connections_per_address: 11}", "intake.max_connections_per_address"),
        ] {
            let yaml =
                intake.hasPrefix("{")
                ? "intake: {\(intake.dropFirst().dropLast()), \(source)}" : "intake: {\(intake), \(source)}"
            let problems = Self.problems(yaml)
            #expect(problems.count == 1, "\(intake): \(problems)")
            #expect(problems.first?.hasPrefix(key) == true, "\(intake): \(problems)")
        }
        let shared = Self.problems("ops: {port: 9000}\nintake: {port: 9000, \(source)}")
        #expect(shared.count == 1 && shared[0].hasPrefix("intake.port") && shared[0].contains("ops.port"), "\(shared)")
        #expect(Self.problems("ops: {port: 0}\nintake: {port: 0, \(source)}").isEmpty, "two free ports are two ports")
    }

    @Test func aMissingHMACSecretIsTheOnlyProblemReported() {
        let hooks = """
            intake:
              sources:
                - {name: hooks, topic: alerts.raw, auth: {hmac: {secret: {env: HOOK_SECRET}, header: X-Hub-Signature-256, algorithm: sha256, prefix: "sha256=", encoding: hex}}}
            """
        let fromEnvironment = Self.problems(hooks)
        #expect(fromEnvironment.count == 1, "\(fromEnvironment)")
        #expect(fromEnvironment.first?.hasPrefix(#"intake.sources[0].auth.hmac.secret.env = "HOOK_SECRET""#) == true)
        let fromFile = Self.problems(
            hooks.replacingOccurrences(of: "{env: HOOK_SECRET}", with: "{file: /nonexistent/hook-secret}")
        )
        #expect(fromFile.count == 1, "\(fromFile)")
        #expect(
            fromFile.first?.hasPrefix(#"intake.sources[0].auth.hmac.secret.file = "/nonexistent/hook-secret""#) == true
        )
    }

    @Test func checkConfigReportsTheMissingSecretAloneAndListsTheSources() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("intake-\(UUID()).yaml")
        try
            (Self.base + """

                intake:
                  sources:
                    - {name: am, topic: alerts.raw, auth: {bearer: {env: INTAKE_TOKEN}}}
                    - {name: hooks, topic: alerts.raw, auth: {hmac: {secret: {env: HOOK_SECRET_UNSET}, header: X-Hub-Signature-256, prefix: "sha256="}}}
                """).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (refused, _, problems) = try IngestorProcess(
            ["check-config", file.path],
            environment: ["INTAKE_TOKEN": "t", "HOOK_SECRET_UNSET": ""]
        ).finish()
        #expect(refused == 2)
        #expect(problems.contains("has 1 problem:"), "\(problems)")
        #expect(problems.contains(#"intake.sources[1].auth.hmac.secret.env = "HOOK_SECRET_UNSET""#), "\(problems)")

        let (status, out, err) = try IngestorProcess(
            ["check-config", file.path],
            environment: ["INTAKE_TOKEN": "t", "HOOK_SECRET_UNSET": "k"]
        ).finish()
        #expect(status == 0, "\(err)")
        #expect(out.contains("intake: POST /v1/ingest/am on 0.0.0.0:9465"), "\(out)")
        #expect(out.contains("intake: POST /v1/ingest/hooks on 0.0.0.0:9465"), "\(out)")
        #expect(out.contains("1024 connections, 128 per address"), "\(out)")
    }

    @Test func theSchemaDescribesExactlyTheKeysTheLoaderReads() throws {
        // The loader lists the keys it knows when it meets one it does not.
        let unknown = Self.problems("intake: {zzz: 1, sources: [{name: am, topic: alerts.raw, auth: {none: true}}]}")
        let listed = try #require(
            unknown.first { $0.hasPrefix("intake.zzz") }?.components(separatedBy: "known here: ").last
        )
        let known = Set(listed.components(separatedBy: ", "))
        let schemaURL = repositoryRoot.appendingPathComponent("schemas/config.schema.json")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        let properties = schema["properties"] as? [String: Any]
        let intake = try #require((properties?["intake"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(Set(intake.keys) == known)

        // A configuration using every intake key validates against it.
        let yaml = """
            intake:
              host: 127.0.0.1
              port: 9465
              max_body_bytes: 1048576
              ack_timeout: 10s
              retry_after: 5s
              header_timeout: 10s
              body_timeout: 30s
              idle_timeout: 60s
              max_connections: 1024
              max_connections_per_address: 128
              sources:
                - {name: am, topic: alerts.raw, format: alertmanager, key_pointer: /groupKey, auth: {bearer: {env: INTAKE_TOKEN}}}
                - {name: cw, topic: alerts.raw, auth: {none: true}, sns: {confirm_subscriptions: true, topic_arns: [arn]}}
            """
        #expect(Self.problems(yaml).isEmpty, "\(Self.problems(yaml))")
        let document = try #require(try Yams.load(yaml: Self.base + "\n" + yaml))
        let json = String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
        let (valid, report) = try SchemaTests.validate(json + "\n", schema: schemaURL.path)
        #expect(valid == 0, "\(report)")
        let (invalid, _) = try SchemaTests.validate(
            json.replacingOccurrences(of: #""header_timeout":"10s""#, with: #""header_timeout":10"#) + "\n",
            schema: schemaURL.path
        )
        #expect(invalid == 1, "a duration without a unit is refused by the schema too")
    }
}

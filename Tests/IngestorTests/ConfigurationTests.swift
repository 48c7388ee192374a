import Foundation
import IncidentAPI
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Pipeline
import Testing

let validYAML = """
    kafka:
      bootstrap_servers: [kafka-1:9092, kafka-2:9092]
      group_id: alerts
      session_timeout: 30s
      librdkafka:
        security.protocol: plaintext
    sources:
      - topic: alerts.raw
        format: alertmanager
      - topic: other.raw
    dead_letter:
      topic: alerts.dlq
    pipeline:
      lanes: 4
      drain_timeout: 10s
      retry:
        max_attempts: 3
        initial_backoff: 100ms
    limits:
      max_payload_bytes: 65536
      max_mime_parts: 50
      max_header_bytes: 4096
    target:
      kind: devrev
      devrev:
        base_url: https://api.devrev.ai/
        token: {env: DEVREV_TOKEN}
        resolved_stage: don:core:stage/4
        severity_ids: {critical: 11}
    ops:
      port: 9100
    logging:
      level: debug
    """

func problems(_ yaml: String, environment: [String: String] = ["DEVREV_TOKEN": "tok"]) -> [ConfigProblem] {
    do {
        _ = try IngestorConfiguration.parse(yaml: yaml, environment: environment)
        return []
    } catch let error as ConfigurationError {
        return error.problems
    } catch {
        return [ConfigProblem(path: "?", value: nil, rule: "\(error)")]
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test func readsEveryKeyIntoTypedSettings() throws {
        let configuration = try IngestorConfiguration.parse(yaml: validYAML, environment: ["DEVREV_TOKEN": "tok-abc"])
        #expect(configuration.kafka.bootstrapServers == ["kafka-1:9092", "kafka-2:9092"])
        #expect(configuration.kafka.groupID == "alerts")
        #expect(configuration.kafka.sessionTimeout == .seconds(30))
        #expect(configuration.sources.map(\.topic) == ["alerts.raw", "other.raw"])
        #expect(configuration.sources.map(\.format) == [.alertmanager, .auto])
        #expect(configuration.deadLetterTopic == "alerts.dlq")
        #expect(configuration.pipeline.lanes == 4)
        #expect(configuration.pipeline.drainTimeout == .seconds(10))
        #expect(configuration.pipeline.route(for: "alerts.raw").format == .alertmanager)
        #expect(configuration.retry.maxAttempts == 3)
        #expect(configuration.retry.initialBackoff == .milliseconds(100))
        #expect(configuration.limits.maxPayloadBytes == 65536)
        #expect(configuration.limits.maxMIMEParts == 50)
        #expect(configuration.limits.maxHeaderBytes == 4096)
        #expect(configuration.limits.maxMIMEDepth == 16, "unset limits keep their defaults")
        #expect(configuration.ops.port == 9100)
        #expect(configuration.logLevel == .debug)
        guard let devrev = configuration.target.settings as? DevRevConfiguration else {
            Issue.record("expected devrev")
            return
        }
        #expect(devrev.baseURL == "https://api.devrev.ai")
        #expect(devrev.token.exposedValue == "tok-abc")
        #expect(devrev.severityIDs[.critical] == 11)
        #expect(devrev.severityIDs[.high] == 2, "defaults kept for the rest")
    }

    @Test func deliveryEngineSettings() throws {
        let pipelineSettings = [
            "  lanes: 4", "  reopen_window: 15m", "  min_update_interval: 30s", "  pause_after: 2s",
            "  repeat_memory_bytes: 0", "  lookup_unknown_keys: false",
            "  storm_guard: {max_new_per_minute: 20, update_interval: 1m, quiet_period: 15m, samples: 5, pass_through: [critical, high]}",
        ]
        let yaml =
            validYAML.replacingOccurrences(of: "  lanes: 4\n", with: pipelineSettings.joined(separator: "\n") + "\n")
            + "\nstate: {path: /var/lib/ingestor/state.sqlite, cache_records: 5000, audit_retention: 30d}\n"
        #expect(yaml.contains("reopen_window"))
        let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: ["DEVREV_TOKEN": "tok"])
        #expect(configuration.pipeline.reopenWindow == .seconds(900))
        #expect(configuration.pipeline.minUpdateInterval == .seconds(30))
        #expect(configuration.pipeline.pauseAfter == .seconds(2))
        #expect(configuration.pipeline.repeatMemoBytes == 0, "zero turns the repeat memory off")
        let defaults = try IngestorConfiguration.parse(yaml: validYAML, environment: ["DEVREV_TOKEN": "tok"])
        #expect(defaults.pipeline.repeatMemoBytes == 16 << 20)
        #expect(configuration.pipeline.lookupUnknownKeys == false)
        #expect(defaults.pipeline.lookupUnknownKeys, "the safety net for lost state is on by default")
        #expect(configuration.pipeline.stormGuard.maxNewPerMinute == 20)
        #expect(configuration.pipeline.stormGuard.updateInterval == .seconds(60))
        #expect(configuration.pipeline.stormGuard.passThrough == [.critical, .high])
        #expect(configuration.state.path == "/var/lib/ingestor/state.sqlite")
        #expect(configuration.state.cacheRecords == 5000)
        #expect(configuration.state.auditRetention == .seconds(30 * 86_400))
        #expect(configuration.targetLimits == TargetGate.Limits(rate: 20, burst: 40), "the default bucket")

        let bad = yaml.replacingOccurrences(of: "pass_through: [critical, high]", with: "pass_through: [urgent]")
            .replacingOccurrences(of: "pause_after: 2s", with: "pause_after: 4m")
            .replacingOccurrences(of: "repeat_memory_bytes: 0", with: "repeat_memory_bytes: -1")
            .replacingOccurrences(of: "lookup_unknown_keys: false", with: "lookup_unknown_keys: sometimes")
        let found = problems(bad).map(\.path)
        #expect(found.contains("pipeline.repeat_memory_bytes"))
        #expect(found.contains("pipeline.lookup_unknown_keys"))
        #expect(found.contains("pipeline.storm_guard.pass_through"))
        #expect(found.contains("pipeline.pause_after"), "more than half of max_poll_interval (5m)")
    }

    @Test func groupingPerSource() throws {
        let yaml = validYAML.replacingOccurrences(
            of: "    format: alertmanager\n",
            with: "    format: alertmanager\n    group_by: [alertname, cluster]\n    group_wait: 30s\n"
        )
        let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: ["DEVREV_TOKEN": "tok"])
        #expect(
            configuration.pipeline.groupings["alerts.raw"]
                == Grouping(labels: ["alertname", "cluster"], wait: .seconds(30))
        )
        #expect(configuration.pipeline.groupings["other.raw"] == nil)
        let orphan = validYAML.replacingOccurrences(
            of: "    format: alertmanager\n",
            with: "    format: alertmanager\n    group_wait: 30s\n"
        )
        #expect(problems(orphan).map(\.path).contains("sources[0].group_wait"))
    }

    @Test func everyProblemIsListedByItsKeyPath() {
        let yaml = """
            kafka:
              bootstrap_servers: kafka-without-port
              session_timeout: 45
              offset_reset: sideways
            sources:
              - topic: alerts.raw
                format: smoke-signals
            dead_letter:
              topic: alerts.raw
            pipeline:
              lanes: 0
            target:
              kind: devrev
              devrev:
                token: plain-text-token
            """
        let found = problems(yaml)
        let paths = Set(found.map(\.path))
        for expected in [
            "kafka.bootstrap_servers", "kafka.session_timeout", "kafka.offset_reset", "sources[0].format",
            "dead_letter.topic",
            "pipeline.lanes", "target.devrev.token", "target.devrev.resolved_stage",
        ] {
            #expect(paths.contains(expected), "missing \(expected) in \(found)")
        }
        #expect(found.first { $0.path == "kafka.session_timeout" }?.rule.contains("duration") == true)
        #expect(found.first { $0.path == "dead_letter.topic" }?.rule.contains("differ") == true)
    }

    @Test func unknownKeysAreRefusedWithASuggestion() {
        let found = problems(validYAML.replacingOccurrences(of: "group_id: alerts", with: "groupid: alerts"))
        let unknown = found.first { $0.path == "kafka.groupid" }
        #expect(unknown?.rule.contains("did you mean kafka.group_id") == true, "\(found)")
    }

    @Test func environmentOverridesTheFile() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: validYAML,
            environment: [
                "DEVREV_TOKEN": "t", "INGESTOR_KAFKA__BOOTSTRAP_SERVERS": "a:1,b:2",
                "INGESTOR_PIPELINE__RETRY__MAX_ATTEMPTS": "9",
                "INGESTOR_SOURCES": "x.raw:alertmanager,y.raw",
            ]
        )
        #expect(configuration.kafka.bootstrapServers == ["a:1", "b:2"])
        #expect(configuration.retry.maxAttempts == 9)
        #expect(configuration.sources.map(\.topic) == ["x.raw", "y.raw"])
    }

    @Test func unknownEnvironmentOverrideIsAProblem() {
        #expect(
            problems(validYAML, environment: ["DEVREV_TOKEN": "t", "INGESTOR_KAFKA__GRUOP_ID": "x"]).map(\.path) == [
                "kafka.gruop_id"
            ]
        )
    }

    @Test func secretsComeFromTheEnvironmentOrAFileNeverTheYAML() {
        #expect(problems(validYAML, environment: [:]).map(\.path) == ["target.devrev.token.env"])
        let inline = validYAML.replacingOccurrences(of: "token: {env: DEVREV_TOKEN}", with: "token: s3cr3t-in-the-file")
        let found = problems(inline)
        #expect(found.map(\.path) == ["target.devrev.token"])
        #expect(!found.description.contains("s3cr3t-in-the-file"), "a refused secret is not echoed")
        let missingFile = validYAML.replacingOccurrences(
            of: "token: {env: DEVREV_TOKEN}",
            with: "token: {file: /nonexistent/token}"
        )
        #expect(problems(missingFile).map(\.path) == ["target.devrev.token.file"])
    }

    @Test func drainMustEndBeforeTheGroupSessionDoes() {
        let yaml = validYAML.replacingOccurrences(of: "drain_timeout: 10s", with: "drain_timeout: 30s")
        #expect(problems(yaml).map(\.path) == ["pipeline.drain_timeout"])
    }

    @Test func managedLibrdkafkaPropertiesCannotBeOverridden() {
        let yaml = validYAML.replacingOccurrences(
            of: "security.protocol: plaintext",
            with: "enable.auto.offset.store: \"true\""
        )
        #expect(problems(yaml).map(\.path) == ["kafka.librdkafka.enable.auto.offset.store"])
    }

    @Test(arguments: ["127.0.0.1:", ":9092", "kafka", "kafka:0", "kafka:99999", "kafka:port"])
    func brokersNeedHostAndPort(broker: String) {
        let yaml = validYAML.replacingOccurrences(of: "[kafka-1:9092, kafka-2:9092]", with: "\"\(broker)\"")
        #expect(problems(yaml).map(\.path) == ["kafka.bootstrap_servers"], "\(broker)")
    }

    @Test func emptyDocumentNamesEveryRequiredKey() {
        let paths = Set(problems("").map(\.path))
        #expect(paths.isSuperset(of: ["kafka.bootstrap_servers", "sources", "dead_letter.topic", "target.kind"]))
    }

    @Test func notYAMLAtAll() {
        #expect(problems("kafka: [unclosed").first?.path == "(file)")
    }

    @Test func producerGetsOnlyProducerSafeOverrides() throws {
        let yaml = validYAML.replacingOccurrences(
            of: "security.protocol: plaintext",
            with: "security.protocol: plaintext\n    fetch.max.bytes: \"1000\""
        )
        let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: ["DEVREV_TOKEN": "t"])
        #expect(configuration.consumerConfiguration.overrides["fetch.max.bytes"] == "1000")
        #expect(configuration.producerConfiguration.overrides["fetch.max.bytes"] == nil)
        #expect(configuration.producerConfiguration.overrides["security.protocol"] == "plaintext")
    }
}

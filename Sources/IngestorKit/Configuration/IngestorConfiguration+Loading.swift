import Foundation
import IncidentAPI
import KafkaIO
import Logging
import Normalizer
import Pipeline

extension IngestorConfiguration {
    /// Loads and validates a configuration file with `INGESTOR_*` overrides from `environment`.
    /// - Parameter checkHost: also check what only this machine can tell: that `state.path` is in an existing
    ///   directory this process can write (`run`, `check-config`); off for a configuration meant for another machine.
    /// - Throws: ``ConfigurationError`` listing every problem by its key path.
    public static func load(
        path: String,
        environment: [String: String],
        checkHost: Bool = false
    ) throws -> IngestorConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(
                source: path,
                problems: [
                    ConfigProblem(path: "(file)", value: path, rule: "cannot be read: \(error.localizedDescription)")
                ]
            )
        }
        return try parse(yaml: text, source: path, environment: environment, checkHost: checkHost)
    }

    /// Parses and validates configuration text.
    /// - Parameter checkHost: also check `state.path`'s directory on this machine (see ``load(path:environment:checkHost:)``).
    /// - Throws: ``ConfigurationError`` listing every problem by its key path, and the `INGESTOR_*` variable for a
    ///   value that came from the environment.
    public static func parse(
        yaml text: String,
        source: String = "(text)",
        environment: [String: String] = [:],
        checkHost: Bool = false
    ) throws -> IngestorConfiguration {
        let tree: ConfigValue
        do {
            tree = try ConfigValue.parse(yaml: text)
        } catch {
            throw ConfigurationError(
                source: source,
                problems: [ConfigProblem(path: "(file)", value: nil, rule: "is not valid YAML: \(error)")]
            )
        }
        let (overridden, variables) = tree.applyingEnvironment(environment)
        let problems = ConfigSection.ProblemList()
        let root = ConfigSection(path: "", value: overridden, problems: problems, environment: environment)
        let configuration = read(root, environment: environment, checkHost: checkHost)
        root.finish()
        guard let configuration, problems.items.isEmpty else {
            throw ConfigurationError(source: source, problems: problems.items.map { $0.attributed(to: variables) })
        }
        return configuration
    }

    private static func read(
        _ root: ConfigSection,
        environment: [String: String],
        checkHost: Bool
    ) -> IngestorConfiguration? {
        let kafkaSection = root.section("kafka")
        let kafka = readKafka(kafkaSection)
        kafkaSection.finish()

        // The defaults are the types' own: a configuration type's declared values are the only defaults.
        var pipeline = PipelineConfiguration(workerVersion: IngestorVersion.current)
        let severityDefault = DecodeOptions().defaultSeverity
        let pipelineSeverity =
            root.section("pipeline").peekString("default_severity").flatMap { Severity(rawValue: $0.lowercased()) }
            ?? severityDefault
        let sources = readSources(root, defaultSeverity: pipelineSeverity)

        let deadLetterSection = root.section("dead_letter")
        let deadLetterTopic = deadLetterSection.requiredString(
            "topic",
            hint: "the topic for messages that cannot be delivered"
        )
        pipeline.maxReplays = deadLetterSection.int("max_replays", default: pipeline.maxReplays, in: 1...1000)
        deadLetterSection.finish()
        if let deadLetterTopic, sources.contains(where: { $0.topic == deadLetterTopic }) {
            deadLetterSection.problem(
                "topic",
                deadLetterTopic,
                "must differ from every source topic, or failures would loop"
            )
        }
        if let kafka {
            let events = kafka.resolvedEventsTopic
            if sources.contains(where: { $0.topic == events }) || events == deadLetterTopic {
                kafkaSection.problem(
                    "events_topic",
                    events,
                    "must differ from every source topic and from dead_letter.topic"
                        + (kafka.eventsTopic == nil ? " (it defaults to <group_id>.events)" : "")
                )
            }
        }

        let pipelineSection = root.section("pipeline")
        pipeline.lanes = pipelineSection.int("lanes", default: pipeline.lanes, in: 1...1024)
        pipeline.maxInFlightEvents = pipelineSection.int(
            "max_in_flight_events",
            default: pipeline.maxInFlightEvents,
            in: 1...1_000_000
        )
        pipeline.reopenWindow = pipelineSection.duration(
            "reopen_window",
            default: pipeline.reopenWindow,
            in: .zero ... .seconds(30 * 86_400)
        )
        pipeline.lookupUnknownKeys = pipelineSection.bool("lookup_unknown_keys", default: pipeline.lookupUnknownKeys)
        pipeline.pauseAfter = pipelineSection.duration(
            "pause_after",
            default: pipeline.pauseAfter,
            in: .zero ... .seconds(60)
        )
        pipeline.skipRepeatsFor = pipelineSection.duration(
            "skip_repeats_for",
            default: pipeline.skipRepeatsFor,
            in: .zero ... .seconds(86_400)
        )
        pipeline.repeatMemoBytes = pipelineSection.int(
            "repeat_memory_bytes",
            default: pipeline.repeatMemoBytes,
            in: 0...(1 << 30)
        )
        pipeline.minUpdateInterval = pipelineSection.duration(
            "min_update_interval",
            default: pipeline.minUpdateInterval,
            in: .zero ... .seconds(86_400)
        )
        pipeline.drainTimeout = pipelineSection.duration(
            "drain_timeout",
            default: pipeline.drainTimeout,
            in: .zero ... .seconds(3600)
        )
        let severityText = pipelineSection.choice(
            "default_severity",
            default: severityDefault.rawValue,
            from: Severity.allCases.map(\.rawValue)
        )
        let defaultSeverity = Severity(rawValue: severityText) ?? severityDefault
        pipeline.routes = Dictionary(sources.map { ($0.topic, $0.route) }, uniquingKeysWith: { first, _ in first })
        pipeline.groupings = Dictionary(
            sources.compactMap { source in source.grouping.map { (source.topic, $0) } },
            uniquingKeysWith: { first, _ in first }
        )
        pipeline.defaultRoute = SourceRoute(format: .auto, options: DecodeOptions(defaultSeverity: defaultSeverity))
        let stormSection = pipelineSection.section("storm_guard")
        pipeline.stormGuard.maxNewPerMinute = stormSection.int(
            "max_new_per_minute",
            default: pipeline.stormGuard.maxNewPerMinute,
            in: 0...1_000_000
        )
        pipeline.stormGuard.updateInterval = stormSection.duration(
            "update_interval",
            default: pipeline.stormGuard.updateInterval,
            in: .seconds(1) ... .seconds(3600)
        )
        pipeline.stormGuard.quietPeriod = stormSection.duration(
            "quiet_period",
            default: pipeline.stormGuard.quietPeriod,
            in: .seconds(1) ... .seconds(7 * 86_400)
        )
        pipeline.stormGuard.samples = stormSection.int(
            "samples",
            default: pipeline.stormGuard.samples,
            in: 0...100
        )
        if let names = stormSection.stringList("pass_through") {
            var severities: Set<Severity> = []
            for name in names {
                if let severity = Severity(rawValue: name.lowercased()) {
                    severities.insert(severity)
                } else {
                    stormSection.problem(
                        "pass_through",
                        name,
                        "must list severities: \(Severity.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
            }
            pipeline.stormGuard.passThrough = severities
        }
        stormSection.finish()
        let retry = readRetry(pipelineSection.section("retry"))
        pipelineSection.finish()
        if let kafka, pipeline.pauseAfter * 2 > kafka.maxPollInterval {
            pipelineSection.problem(
                "pause_after",
                ConfigSection.format(pipeline.pauseAfter),
                "must be at most half of kafka.max_poll_interval (\(ConfigSection.format(kafka.maxPollInterval))), or the group evicts the worker while it waits"
            )
        }
        if let kafka {
            // A freeze that long may have cost the partitions: the delivery stage then checks before calling.
            pipeline.freezeLimit = max(.seconds(1), kafka.sessionTimeout / 3)
        }
        if let kafka, pipeline.drainTimeout >= kafka.sessionTimeout {
            pipelineSection.problem(
                "drain_timeout",
                ConfigSection.format(pipeline.drainTimeout),
                "must be shorter than kafka.session_timeout (\(ConfigSection.format(kafka.sessionTimeout))), or a drain on shutdown outlives the group membership"
            )
        }

        let limitsSection = root.section("limits")
        let limitDefaults = Normalizer.Limits()
        let limits = Normalizer.Limits(
            maxPayloadBytes: limitsSection.int(
                "max_payload_bytes",
                default: limitDefaults.maxPayloadBytes,
                in: 1...(64 << 20)
            ),
            maxJSONDepth: limitsSection.int("max_json_depth", default: limitDefaults.maxJSONDepth, in: 1...512),
            maxEventsPerMessage: limitsSection.int(
                "max_events_per_message",
                default: limitDefaults.maxEventsPerMessage,
                in: 1...100_000
            ),
            maxHeaderCount: limitsSection.int(
                "max_header_count",
                default: limitDefaults.maxHeaderCount,
                in: 10...100_000
            ),
            maxHeaderBytes: limitsSection.int(
                "max_header_bytes",
                default: limitDefaults.maxHeaderBytes,
                in: 998...(1 << 20)
            ),
            maxMIMEDepth: limitsSection.int("max_mime_depth", default: limitDefaults.maxMIMEDepth, in: 1...100),
            maxMIMEParts: limitsSection.int("max_mime_parts", default: limitDefaults.maxMIMEParts, in: 1...100_000),
            maxEmailTextBytes: limitsSection.int(
                "max_email_text_bytes",
                default: limitDefaults.maxEmailTextBytes,
                in: 1024...(64 << 20)
            )
        )
        limitsSection.finish()

        var targetLimits = TargetGate.Limits.unlimited
        let target = readTarget(root.section("target"), limits: &targetLimits)

        let stateSection = root.section("state")
        var state = State()
        if let path = stateSection.string("path") {
            if path.isEmpty { stateSection.problem("path", path, "must name a file, or be :memory:") }
            state.path = path
        }
        if checkHost, let rule = stateDirectoryProblem(state.path) { stateSection.problem("path", state.path, rule) }
        state.cacheRecords = stateSection.int("cache_records", default: state.cacheRecords, in: 1...100_000_000)
        state.auditRetention = stateSection.duration(
            "audit_retention",
            default: state.auditRetention,
            in: .seconds(60) ... .seconds(3650 * 86_400)
        )
        state.resolvedRetention = stateSection.duration(
            "resolved_retention",
            default: state.resolvedRetention,
            in: .seconds(60) ... .seconds(3650 * 86_400)
        )
        stateSection.finish()

        let opsSection = root.section("ops")
        var ops = Ops()
        ops.host = opsSection.string("host") ?? ops.host
        ops.port = opsSection.int("port", default: ops.port, in: 0...65535)
        let readinessSection = opsSection.section("readiness")
        ops.readiness.brokerUnreachableAfter = readinessSection.duration(
            "broker_unreachable_after",
            default: ops.readiness.brokerUnreachableAfter,
            in: .seconds(1) ... .seconds(86_400)
        )
        ops.readiness.unassignedAfter = readinessSection.duration(
            "unassigned_after",
            default: ops.readiness.unassignedAfter,
            in: .seconds(1) ... .seconds(86_400)
        )
        ops.readiness.stuckAfter = readinessSection.duration(
            "stuck_after",
            default: ops.readiness.stuckAfter,
            in: .seconds(1) ... .seconds(7 * 86_400)
        )
        ops.readiness.probeInterval = readinessSection.duration(
            "probe_interval",
            default: ops.readiness.probeInterval,
            in: .milliseconds(100) ... .seconds(300)
        )
        readinessSection.finish()
        opsSection.finish()

        let intake = readIntake(
            root,
            environment: environment,
            defaultBodyLimit: limits.maxPayloadBytes,
            deadLetterTopic: deadLetterTopic,
            opsPort: ops.port
        )

        let loggingSection = root.section("logging")
        let level = loggingSection.choice(
            "level",
            default: "info",
            from: ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        )
        loggingSection.finish()

        guard let kafka, let deadLetterTopic, let target, !sources.isEmpty else { return nil }
        return IngestorConfiguration(
            kafka: kafka,
            sources: sources,
            deadLetterTopic: deadLetterTopic,
            pipeline: pipeline,
            retry: retry,
            limits: limits,
            defaultSeverity: defaultSeverity,
            target: target,
            targetLimits: targetLimits,
            state: state,
            ops: ops,
            intake: intake,
            logLevel: Logger.Level(rawValue: level) ?? .info
        )
    }

    private static func readKafka(_ section: ConfigSection) -> Kafka? {
        let servers = section.stringList("bootstrap_servers")
        if servers == nil || servers?.isEmpty == true {
            section.problem(
                "bootstrap_servers",
                nil,
                "is required: the brokers to bootstrap from, e.g. [\"kafka:9092\"]"
            )
        }
        for server in servers ?? [] {
            let parts = server.split(separator: ":", omittingEmptySubsequences: false)
            let port = parts.count >= 2 ? Int(parts[parts.count - 1]) : nil
            if parts.count < 2 || parts.dropLast().joined(separator: ":").isEmpty || !(1...65535).contains(port ?? 0) {
                section.problem(
                    "bootstrap_servers",
                    server,
                    "each broker must be host:port with a port from 1 to 65535"
                )
            }
        }
        var kafka = Kafka(bootstrapServers: servers ?? [])
        kafka.groupID = section.string("group_id") ?? kafka.groupID
        kafka.clientID = section.string("client_id") ?? kafka.clientID
        kafka.sessionTimeout = section.duration(
            "session_timeout",
            default: kafka.sessionTimeout,
            in: .seconds(6) ... .seconds(300)
        )
        kafka.maxPollInterval = section.duration(
            "max_poll_interval",
            default: kafka.maxPollInterval,
            in: .seconds(1) ... .seconds(86_400)
        )
        kafka.offsetReset =
            KafkaConsumerConfiguration.OffsetReset(
                rawValue: section.choice(
                    "offset_reset",
                    default: kafka.offsetReset.rawValue,
                    from: ["earliest", "latest"]
                )
            )
            ?? kafka.offsetReset
        kafka.commitInterval = section.duration(
            "commit_interval",
            default: kafka.commitInterval,
            in: .milliseconds(10) ... .seconds(3600)
        )
        if let topic = section.string("events_topic") {
            if topic.isEmpty { section.problem("events_topic", topic, "must name a topic") }
            kafka.eventsTopic = topic
        }
        if let topic = section.string("changelog_topic") {
            if topic.isEmpty { section.problem("changelog_topic", topic, "must name a topic") }
            kafka.changelogTopic = topic
        }
        if let topic = section.string("audit_topic") {
            if topic.isEmpty { section.problem("audit_topic", topic, "must name a topic") }
            kafka.auditTopic = topic
        }
        let creation = section.section("create_topics")
        kafka.createTopics.enabled = creation.bool("enabled", default: kafka.createTopics.enabled)
        kafka.createTopics.partitionsSet = creation.peekString("partitions") != nil
        kafka.createTopics.partitions = creation.int(
            "partitions",
            default: kafka.createTopics.partitions,
            in: 1...10_000
        )
        kafka.createTopics.replicationFactor = creation.int(
            "replication_factor",
            default: kafka.createTopics.replicationFactor,
            in: -1...100
        )
        if kafka.createTopics.replicationFactor == 0 {
            creation.problem("replication_factor", "0", "must be at least 1, or -1 for the broker's default")
        }
        creation.finish()
        kafka.librdkafka = section.stringMap("librdkafka")
        for key in kafka.librdkafka.keys where ["enable.auto.offset.store"].contains(key) {
            section.problem(
                "librdkafka.\(key)",
                kafka.librdkafka[key],
                "is managed by ingestor: offsets are stored only after a final outcome"
            )
        }
        return servers?.isEmpty == false ? kafka : nil
    }
}

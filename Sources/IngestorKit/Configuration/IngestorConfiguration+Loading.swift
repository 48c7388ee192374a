import Foundation
import IncidentAPI
import KafkaIO
import Logging
import Normalizer
import Pipeline

extension IngestorConfiguration {
    /// Loads and validates a configuration file with `INGESTOR_*` overrides from `environment`.
    /// - Throws: ``ConfigurationError`` listing every problem by its key path.
    public static func load(path: String, environment: [String: String]) throws -> IngestorConfiguration {
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
        return try parse(yaml: text, source: path, environment: environment)
    }

    /// Parses and validates configuration text.
    /// - Throws: ``ConfigurationError`` listing every problem by its key path.
    public static func parse(
        yaml text: String,
        source: String = "(text)",
        environment: [String: String] = [:]
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
        let (overridden, _) = tree.applyingEnvironment(environment)
        let problems = ConfigSection.ProblemList()
        let root = ConfigSection(path: "", value: overridden, problems: problems)
        let configuration = read(root, environment: environment)
        root.finish()
        guard let configuration, problems.items.isEmpty else {
            throw ConfigurationError(source: source, problems: problems.items)
        }
        return configuration
    }

    private static func read(_ root: ConfigSection, environment: [String: String]) -> IngestorConfiguration? {
        let kafkaSection = root.section("kafka")
        let kafka = readKafka(kafkaSection)
        kafkaSection.finish()

        let pipelineSeverity =
            root.section("pipeline").peekString("default_severity").flatMap { Severity(rawValue: $0.lowercased()) }
            ?? .medium
        let sources = readSources(root, defaultSeverity: pipelineSeverity)

        let deadLetterSection = root.section("dead_letter")
        let deadLetterTopic = deadLetterSection.requiredString(
            "topic",
            hint: "the topic for messages that cannot be delivered"
        )
        let maxReplays = deadLetterSection.int("max_replays", default: 3, in: 1...1000)
        deadLetterSection.finish()
        if let deadLetterTopic, sources.contains(where: { $0.topic == deadLetterTopic }) {
            deadLetterSection.problem(
                "topic",
                deadLetterTopic,
                "must differ from every source topic, or failures would loop"
            )
        }

        let pipelineSection = root.section("pipeline")
        var pipeline = PipelineConfiguration(workerVersion: IngestorVersion.current)
        pipeline.maxReplays = maxReplays
        pipeline.lanes = pipelineSection.int("lanes", default: 16, in: 1...1024)
        pipeline.maxInFlightEvents = pipelineSection.int("max_in_flight_events", default: 1000, in: 1...1_000_000)
        pipeline.reopenWindow = pipelineSection.duration(
            "reopen_window",
            default: .zero,
            in: .zero ... .seconds(30 * 86_400)
        )
        pipeline.pauseAfter = pipelineSection.duration("pause_after", default: .seconds(1), in: .zero ... .seconds(60))
        pipeline.repeatMemoBytes = pipelineSection.int(
            "repeat_memory_bytes",
            default: pipeline.repeatMemoBytes,
            in: 0...(1 << 30)
        )
        pipeline.minUpdateInterval = pipelineSection.duration(
            "min_update_interval",
            default: .zero,
            in: .zero ... .seconds(86_400)
        )
        pipeline.drainTimeout = pipelineSection.duration(
            "drain_timeout",
            default: .seconds(20),
            in: .zero ... .seconds(3600)
        )
        let severityText = pipelineSection.choice(
            "default_severity",
            default: "medium",
            from: Severity.allCases.map(\.rawValue)
        )
        let defaultSeverity = Severity(rawValue: severityText) ?? .medium
        pipeline.routes = Dictionary(sources.map { ($0.topic, $0.route) }, uniquingKeysWith: { first, _ in first })
        pipeline.groupings = Dictionary(
            sources.compactMap { source in source.grouping.map { (source.topic, $0) } },
            uniquingKeysWith: { first, _ in first }
        )
        pipeline.defaultRoute = SourceRoute(format: .auto, options: DecodeOptions(defaultSeverity: defaultSeverity))
        let stormSection = pipelineSection.section("storm_guard")
        pipeline.stormGuard.maxNewPerMinute = stormSection.int("max_new_per_minute", default: 0, in: 0...1_000_000)
        pipeline.stormGuard.updateInterval = stormSection.duration(
            "update_interval",
            default: .seconds(30),
            in: .seconds(1) ... .seconds(3600)
        )
        pipeline.stormGuard.quietPeriod = stormSection.duration(
            "quiet_period",
            default: .seconds(600),
            in: .seconds(1) ... .seconds(7 * 86_400)
        )
        pipeline.stormGuard.samples = stormSection.int("samples", default: 10, in: 0...100)
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
        let retrySection = pipelineSection.section("retry")
        var retry = RetryPolicy()
        retry.maxAttempts = retrySection.int("max_attempts", default: 5, in: 1...1000)
        retry.initialBackoff = retrySection.duration(
            "initial_backoff",
            default: .milliseconds(200),
            in: .milliseconds(1) ... .seconds(3600)
        )
        retry.maxBackoff = retrySection.duration(
            "max_backoff",
            default: .seconds(30),
            in: .milliseconds(1) ... .seconds(3600)
        )
        retry.maxElapsed = retrySection.duration("max_elapsed", default: .seconds(300), in: .zero ... .seconds(86_400))
        retrySection.finish()
        pipelineSection.finish()
        if let kafka, pipeline.pauseAfter * 2 > kafka.maxPollInterval {
            pipelineSection.problem(
                "pause_after",
                ConfigSection.format(pipeline.pauseAfter),
                "must be at most half of kafka.max_poll_interval (\(ConfigSection.format(kafka.maxPollInterval))), or the group evicts the worker while it waits"
            )
        }
        if let kafka, pipeline.drainTimeout >= kafka.sessionTimeout {
            pipelineSection.problem(
                "drain_timeout",
                ConfigSection.format(pipeline.drainTimeout),
                "must be shorter than kafka.session_timeout (\(ConfigSection.format(kafka.sessionTimeout))), or a drain on shutdown outlives the group membership"
            )
        }

        let limitsSection = root.section("limits")
        let limits = Normalizer.Limits(
            maxPayloadBytes: limitsSection.int("max_payload_bytes", default: 1 << 20, in: 1...(64 << 20)),
            maxJSONDepth: limitsSection.int("max_json_depth", default: 32, in: 1...512),
            maxEventsPerMessage: limitsSection.int("max_events_per_message", default: 1000, in: 1...100_000),
            maxHeaderCount: limitsSection.int("max_header_count", default: 500, in: 10...100_000),
            maxHeaderBytes: limitsSection.int("max_header_bytes", default: 16 * 1024, in: 998...(1 << 20)),
            maxMIMEDepth: limitsSection.int("max_mime_depth", default: 16, in: 1...100),
            maxMIMEParts: limitsSection.int("max_mime_parts", default: 500, in: 1...100_000),
            maxEmailTextBytes: limitsSection.int("max_email_text_bytes", default: 256 * 1024, in: 1024...(64 << 20))
        )
        limitsSection.finish()

        var targetLimits = TargetGate.Limits.unlimited
        let target = readTarget(root.section("target"), environment: environment, limits: &targetLimits)

        let stateSection = root.section("state")
        var state = State()
        if let path = stateSection.string("path") {
            if path.isEmpty { stateSection.problem("path", path, "must name a file, or be :memory:") }
            state.path = path
        }
        state.cacheRecords = stateSection.int("cache_records", default: state.cacheRecords, in: 1...100_000_000)
        state.auditRetention = stateSection.duration(
            "audit_retention",
            default: state.auditRetention,
            in: .seconds(60) ... .seconds(3650 * 86_400)
        )
        stateSection.finish()

        let opsSection = root.section("ops")
        var ops = Ops()
        ops.host = opsSection.string("host") ?? ops.host
        ops.port = opsSection.int("port", default: ops.port, in: 0...65535)
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
                rawValue: section.choice("offset_reset", default: "earliest", from: ["earliest", "latest"])
            )
            ?? .earliest
        kafka.commitInterval = section.duration(
            "commit_interval",
            default: kafka.commitInterval,
            in: .milliseconds(10) ... .seconds(3600)
        )
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

    private static func readSources(_ root: ConfigSection, defaultSeverity: Severity) -> [Source] {
        let known = Normalizer().knownFormats.map(\.name)
        var sources: [Source] = []
        if let entries = root.sections("sources") {
            for entry in entries {
                let topic = entry.requiredString("topic", hint: "the Kafka topic to consume")
                let format = entry.choice("format", default: "auto", from: known)
                let options = readDecodeOptions(entry, defaultSeverity: defaultSeverity)
                var grouping: Grouping?
                if let labels = entry.stringList("group_by") {
                    if labels.isEmpty { entry.problem("group_by", "[]", "must name at least one label") }
                    grouping = Grouping(
                        labels: labels,
                        wait: entry.duration("group_wait", default: .zero, in: .zero ... .seconds(3600))
                    )
                } else if entry.string("group_wait") != nil {
                    entry.problem("group_wait", entry.string("group_wait"), "needs group_by: the labels to group on")
                }
                entry.finish()
                if let topic {
                    sources.append(
                        Source(
                            topic: topic,
                            route: SourceRoute(format: SourceFormat(format), options: options),
                            grouping: grouping
                        )
                    )
                }
            }
        } else if let compact = root.stringList("sources") {
            // The environment form: INGESTOR_SOURCES="alerts.raw:alertmanager,other.raw"
            for item in compact {
                let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
                let format = parts.count == 2 ? parts[1].lowercased() : "auto"
                if !known.contains(format) {
                    root.problem("sources", item, "format must be one of \(known.joined(separator: ", "))")
                    continue
                }
                let route = SourceRoute(
                    format: SourceFormat(format),
                    options: DecodeOptions(defaultSeverity: defaultSeverity)
                )
                sources.append(Source(topic: parts[0], route: route))
            }
        }
        if sources.isEmpty {
            root.problem("sources", nil, "is required: at least one {topic, format} to consume")
        }
        let duplicates = Dictionary(grouping: sources, by: \.topic).filter { $0.value.count > 1 }.keys
        for topic in duplicates.sorted() { root.problem("sources", topic, "lists the same topic twice") }
        return sources
    }

    /// Reads a source's decoder options: `default_severity`, `generic_fallback`, `generic.*`, `email.*`,
    /// `zabbix_utc_offset`.
    private static func readDecodeOptions(_ entry: ConfigSection, defaultSeverity: Severity) -> DecodeOptions {
        let severities = Severity.allCases.map(\.rawValue)
        let statuses = AlertStatus.allCases.map(\.rawValue)
        var options = DecodeOptions(
            defaultSeverity: Severity(
                rawValue: entry.choice("default_severity", default: defaultSeverity.rawValue, from: severities)
            )
                ?? defaultSeverity
        )
        options.genericFallback = entry.bool("generic_fallback", default: false)
        if let offset = entry.string("zabbix_utc_offset") {
            if let parsed = parseUTCOffset(offset) {
                options.zabbixUTCOffset = parsed
            } else {
                entry.problem("zabbix_utc_offset", offset, "must be an offset such as +02:00 or -0500")
            }
        }

        let generic = entry.section("generic")
        var mapping = GenericMapping()
        func paths(_ key: String, _ current: [String]) -> [String] {
            guard let list = generic.stringList(key) else { return current }
            return list.isEmpty ? current : list
        }
        mapping.title = paths("title", mapping.title)
        mapping.description = paths("description", mapping.description)
        mapping.status = paths("status", mapping.status)
        mapping.severity = paths("severity", mapping.severity)
        mapping.dedupKey = paths("dedup_key", mapping.dedupKey)
        mapping.occurredAt = paths("occurred_at", mapping.occurredAt)
        mapping.resolvedAt = paths("resolved_at", mapping.resolvedAt)
        mapping.labels = paths("labels", mapping.labels)
        mapping.links = paths("links", mapping.links)
        mapping.source = paths("source", mapping.source)
        for (word, value) in generic.stringMap("status_values") {
            guard let status = AlertStatus(rawValue: value.lowercased()) else {
                generic.problem("status_values.\(word)", value, "must be one of \(statuses.joined(separator: ", "))")
                continue
            }
            mapping.statusValues[word.lowercased()] = status
        }
        for (word, value) in generic.stringMap("severity_values") {
            guard let severity = Severity(rawValue: value.lowercased()) else {
                generic.problem(
                    "severity_values.\(word)",
                    value,
                    "must be one of \(severities.joined(separator: ", "))"
                )
                continue
            }
            mapping.severityValues[word.lowercased()] = severity
        }
        generic.finish()
        options.generic = mapping

        let email = entry.section("email")
        var emailOptions = EmailOptions()
        emailOptions.fallbackCharset = email.string("fallback_charset") ?? emailOptions.fallbackCharset
        emailOptions.acceptLists = email.bool("accept_lists", default: false)
        emailOptions.automaticSenders = email.stringList("automatic_senders") ?? []
        if let subjects = email.stringList("auto_reply_subjects") {
            emailOptions.autoReplySubjects = subjects.map { $0.lowercased() }
        }
        if let pattern = email.string("dedup_pattern") {
            if (try? Regex(pattern)) == nil || !pattern.contains("(?<key>") {
                email.problem("dedup_pattern", pattern, "must be a regular expression with a named group (?<key>…)")
            } else {
                emailOptions.dedupPattern = pattern
            }
        }
        var custom: [EmailPattern] = []
        for patternSection in email.sections("patterns") ?? [] {
            if let pattern = readEmailPattern(patternSection) { custom.append(pattern) }
            patternSection.finish()
        }
        let keepDefaults = email.bool("default_patterns", default: true)
        emailOptions.patterns = custom + (keepDefaults ? EmailPattern.defaults : [])
        email.finish()
        options.email = emailOptions
        return options
    }

    private static func readEmailPattern(_ section: ConfigSection) -> EmailPattern? {
        let name = section.requiredString("name", hint: "the tool's name, used in the dedup key")
        let subject = section.requiredString("subject", hint: "a regular expression for the whole subject")
        let body = section.stringList("body") ?? []
        for regex in [subject].compactMap({ $0 }) + body where (try? Regex(regex)) == nil {
            section.problem(body.contains(regex) ? "body" : "subject", regex, "is not a valid regular expression")
        }
        var words: [EmailPattern.StatusWord] = []
        for (word, value) in section.stringMap("status_words") {
            guard let status = AlertStatus(rawValue: value.lowercased()) else {
                section.problem("status_words.\(word)", value, "must be firing, acknowledged or resolved")
                continue
            }
            words.append(.init(word.lowercased(), status))
        }
        let fixed = section.string("fixed_status").flatMap { value -> AlertStatus? in
            guard let status = AlertStatus(rawValue: value.lowercased()) else {
                section.problem("fixed_status", value, "must be firing, acknowledged or resolved")
                return nil
            }
            return status
        }
        let identity = section.stringList("identity") ?? ["host", "service"]
        guard let name, let subject else { return nil }
        return EmailPattern(
            name: name,
            subject: subject,
            body: body,
            statusWords: words.sorted { $0.word.count > $1.word.count },
            fixedStatus: fixed,
            identity: identity
        )
    }

    /// `+02:00`, `-0500` or `Z` as a duration east of UTC.
    static func parseUTCOffset(_ text: String) -> Duration? {
        let trimmed = text.trimmed()
        if trimmed.uppercased() == "Z" || trimmed == "0" { return .zero }
        guard let sign = trimmed.first, sign == "+" || sign == "-" else { return nil }
        let digits = trimmed.dropFirst().filter { $0 != ":" }
        guard digits.count == 4, let value = Int(digits), value % 100 < 60, value / 100 < 24 else { return nil }
        let minutes = value / 100 * 60 + value % 100
        return .seconds((sign == "-" ? -minutes : minutes) * 60)
    }

    static func readDevRev(_ section: ConfigSection, environment: [String: String]) -> DevRevConfiguration? {
        let token = readSecret(section, "token", environment: environment)
        let resolved = section.requiredString(
            "resolved_stage",
            hint: "the DON of your tenant's resolved stage (POST /stages.custom.list); it differs per tenant"
        )
        let baseURL = section.string("base_url")
        let triageStage = section.string("triage_stage")
        let acknowledgedStage = section.string("acknowledged_stage")
        let tagLabels = section.stringList("tag_labels") ?? []
        let labelFields = section.stringMap("label_fields")
        let originSystem = section.string("origin_system")
        let requestTimeout = section.duration(
            "request_timeout",
            default: .seconds(10),
            in: .milliseconds(100) ... .seconds(300)
        )
        let severityIDs = section.stringMap("severity_ids")
        guard let token, let resolved else { return nil }

        var configuration = DevRevConfiguration(token: token, resolvedStage: resolved)
        if let url = baseURL {
            if url.hasPrefix("https://") || url.hasPrefix("http://") {
                configuration.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            } else {
                section.problem("base_url", url, "must start with https:// (or http:// for a local fake)")
            }
        }
        configuration.triageStage = triageStage
        configuration.acknowledgedStage = acknowledgedStage
        configuration.tagLabels = tagLabels
        configuration.labelFields = labelFields
        configuration.originSystem = originSystem ?? configuration.originSystem
        configuration.requestTimeout = requestTimeout
        for (name, value) in severityIDs {
            guard let severity = Severity(rawValue: name) else {
                section.problem(
                    "severity_ids.\(name)",
                    nil,
                    "is not a severity; use \(Severity.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                continue
            }
            guard let id = Int(value), id > 0 else {
                section.problem("severity_ids.\(name)", value, "must be a positive DevRev severity id")
                continue
            }
            configuration.severityIDs[severity] = id
        }
        return configuration
    }

    /// Reads `{env: NAME}` or `{file: PATH}`; a clear-text value in the YAML is refused.
    static func readSecret(_ section: ConfigSection, _ name: String, environment: [String: String]) -> Secret? {
        if case .scalar = section.raw(name) {
            section.problem(
                name,
                nil,
                "must not be written in the file; use {env: VARIABLE} or {file: /path/to/secret}"
            )
            return nil
        }
        let secretSection = section.section(name)
        defer { secretSection.finish() }
        let variable = secretSection.string("env")
        let file = secretSection.string("file")
        switch (variable, file) {
        case (let variable?, nil):
            guard let value = environment[variable], !value.isEmpty else {
                secretSection.problem("env", variable, "names an environment variable that is not set")
                return nil
            }
            return Secret(value)
        case (nil, let file?):
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                secretSection.problem("file", file, "cannot be read")
                return nil
            }
            let value = contents.trimmed()
            guard !value.isEmpty else {
                secretSection.problem("file", file, "is empty")
                return nil
            }
            return Secret(value)
        case (.some, .some):
            section.problem(name, nil, "takes env or file, not both")
            return nil
        case (nil, nil):
            section.problem(name, nil, "is required: {env: VARIABLE} or {file: /path/to/secret}")
            return nil
        }
    }
}

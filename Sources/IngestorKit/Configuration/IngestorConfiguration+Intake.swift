import IncidentAPI
import Normalizer

extension IngestorConfiguration {
    /// `intake.*`, when present.
    static func readIntake(
        _ root: ConfigSection,
        environment: [String: String],
        defaultBodyLimit: Int,
        deadLetterTopic: String?,
        opsPort: Int
    ) -> IntakeConfiguration? {
        guard root.raw("intake") != nil else { return nil }
        let section = root.section("intake")
        defer { section.finish() }
        var intake = IntakeConfiguration(maxBodyBytes: defaultBodyLimit)
        intake.host = section.string("host")
        intake.port = section.int("port", default: intake.port, in: 0...65535)
        if intake.port != 0, intake.port == opsPort {
            section.problem(
                "port",
                String(intake.port),
                "must differ from ops.port: the intake has a listener of its own, so its load cannot starve /metrics and /readyz"
            )
        }
        intake.maxBodyBytes = section.int("max_body_bytes", default: defaultBodyLimit, in: 1...(64 << 20))
        intake.ackTimeout = section.duration(
            "ack_timeout",
            default: intake.ackTimeout,
            in: .milliseconds(100) ... .seconds(600)
        )
        intake.retryAfter = section.duration(
            "retry_after",
            default: intake.retryAfter,
            in: .seconds(1) ... .seconds(3600)
        )
        intake.connections = readConnectionLimits(section)
        let known = Normalizer().knownFormats.map(\.name)
        let entries = section.sections("sources") ?? []
        for entry in entries {
            let name = entry.requiredString("name", hint: "the {source} in POST /v1/ingest/{source}")
            let topic = entry.requiredString("topic", hint: "the Kafka topic the bodies are written to")
            if let name, name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
                entry.problem("name", name, "must be letters, digits, '-', '_' or '.' (it is a URL path segment)")
            }
            if let topic, topic == deadLetterTopic {
                entry.problem("topic", topic, "must not be the dead-letter topic")
            }
            var format: String?
            if entry.raw("format") != nil { format = entry.choice("format", default: "auto", from: known) }
            var keyPointer: JSONPointer?
            if let text = entry.string("key_pointer") {
                keyPointer = JSONPointer(text)
                if keyPointer == nil { entry.problem("key_pointer", text, "is not a JSON pointer (e.g. /groupKey)") }
            }
            let authentication = readIntakeAuthentication(entry, environment: environment)
            var sns: IntakeConfiguration.SNS?
            if entry.raw("sns") != nil {
                let snsSection = entry.section("sns")
                var options = IntakeConfiguration.SNS()
                options.confirmSubscriptions = snsSection.bool(
                    "confirm_subscriptions",
                    default: options.confirmSubscriptions
                )
                options.verifySignatures = snsSection.bool("verify_signatures", default: options.verifySignatures)
                if let pattern = snsSection.string("trusted_url_pattern") {
                    if (try? Regex(pattern)) == nil {
                        snsSection.problem("trusted_url_pattern", pattern, "is not a regular expression")
                    }
                    options.trustedURLPattern = pattern
                }
                options.topicARNs = snsSection.stringList("topic_arns") ?? []
                snsSection.finish()
                sns = options
            }
            entry.finish()
            if let name, let topic, let authentication {
                if intake.source(name) != nil { entry.problem("name", name, "is used by another intake source") }
                intake.sources.append(
                    IntakeConfiguration.Source(
                        name: name,
                        topic: topic,
                        format: format,
                        keyPointer: keyPointer,
                        authentication: authentication,
                        sns: sns
                    )
                )
            }
        }
        if entries.isEmpty {
            section.problem(
                "sources",
                nil,
                "must list at least one source: [{name: alertmanager, topic: alerts.raw, auth: …}]"
            )
        }
        return intake
    }

    /// `auth`: exactly one of `bearer`, `hmac` or `none: true`.
    private static func readIntakeAuthentication(
        _ entry: ConfigSection,
        environment: [String: String]
    ) -> IntakeConfiguration.Authentication? {
        guard entry.raw("auth") != nil else {
            entry.problem(
                "auth",
                nil,
                "is required: {bearer: {env: VARIABLE}}, {hmac: {secret: {env: VARIABLE}, header: X-Signature}}, or {none: true} to accept unauthenticated requests"
            )
            return nil
        }
        let section = entry.section("auth")
        defer { section.finish() }
        let kinds = ["bearer", "hmac", "none"].filter { section.raw($0) != nil }
        guard kinds.count == 1, let kind = kinds.first else {
            section.problem("(kind)", kinds.joined(separator: ", "), "give exactly one of bearer, hmac or none")
            return nil
        }
        switch kind {
        case "bearer":
            return readSecret(section, "bearer", environment: environment).map { .bearer($0) }
        case "hmac":
            let hmacSection = section.section("hmac")
            defer { hmacSection.finish() }
            // Every key is read before the secret is looked at: a secret that cannot be resolved is one problem,
            // and must not turn the source's other keys into "unknown key" reports.
            let secret = readSecret(hmacSection, "secret", environment: environment)
            // The defaults are HMACCheck's own.
            var check = IntakeConfiguration.HMACCheck(secret: secret ?? Secret(""))
            check.header = hmacSection.string("header") ?? check.header
            check.algorithm = hmacSection.choice(
                "algorithm",
                default: check.algorithm,
                from: ["sha256", "sha1", "sha512"]
            )
            check.prefix = hmacSection.string("prefix") ?? check.prefix
            check.encoding = hmacSection.choice("encoding", default: check.encoding, from: ["hex", "base64"])
            guard secret != nil else { return nil }
            return .hmac(check)
        default:
            guard section.bool("none", default: false) else {
                section.problem("none", "false", "must be true (or give bearer or hmac)")
                return nil
            }
            return IntakeConfiguration.Authentication.none
        }
    }

    /// `intake.header_timeout`, `intake.body_timeout`, `intake.idle_timeout`, `intake.max_connections` and
    /// `intake.max_connections_per_address`.
    private static func readConnectionLimits(_ section: ConfigSection) -> IntakeConfiguration.ConnectionLimits {
        var limits = IntakeConfiguration.ConnectionLimits()
        limits.headerTimeout = section.duration(
            "header_timeout",
            default: limits.headerTimeout,
            in: .milliseconds(100) ... .seconds(600)
        )
        limits.bodyTimeout = section.duration(
            "body_timeout",
            default: limits.bodyTimeout,
            in: .milliseconds(100) ... .seconds(3600)
        )
        limits.idleTimeout = section.duration(
            "idle_timeout",
            default: limits.idleTimeout,
            in: .milliseconds(100) ... .seconds(3600)
        )
        limits.maxConnections = section.int("max_connections", default: limits.maxConnections, in: 1...1_000_000)
        limits.maxConnectionsPerAddress = section.int(
            "max_connections_per_address",
            default: limits.maxConnectionsPerAddress,
            in: 0...1_000_000
        )
        if limits.maxConnectionsPerAddress > limits.maxConnections {
            section.problem(
                "max_connections_per_address",
                String(limits.maxConnectionsPerAddress),
                "must not be more than intake.max_connections (\(limits.maxConnections))"
            )
        }
        return limits
    }
}

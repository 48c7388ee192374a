import Normalizer
import Pipeline

extension IngestorConfiguration {
    static func readSources(_ root: ConfigSection, defaultSeverity: Severity) -> [Source] {
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
                        wait: entry.duration(
                            "group_wait",
                            default: Grouping(labels: labels).wait,
                            in: .zero ... .seconds(3600)
                        )
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
    static func readDecodeOptions(_ entry: ConfigSection, defaultSeverity: Severity) -> DecodeOptions {
        let severities = Severity.allCases.map(\.rawValue)
        let statuses = AlertStatus.allCases.map(\.rawValue)
        var options = DecodeOptions(
            defaultSeverity: Severity(
                rawValue: entry.choice("default_severity", default: defaultSeverity.rawValue, from: severities)
            )
                ?? defaultSeverity
        )
        options.genericFallback = entry.bool("generic_fallback", default: options.genericFallback)
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
        mapping.events = paths("events", mapping.events)
        mapping.dedupFields = paths("dedup_fields", mapping.dedupFields)
        mapping.titleTemplate = generic.string("title_template")
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
        emailOptions.acceptLists = email.bool("accept_lists", default: emailOptions.acceptLists)
        emailOptions.automaticSenders = email.stringList("automatic_senders") ?? emailOptions.automaticSenders
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

    static func readEmailPattern(_ section: ConfigSection) -> EmailPattern? {
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
        let bodyFields = section.stringMap("body_fields")
        let groups = EmailDecoderGroups.names
        for (label, group) in bodyFields where !groups.contains(group) {
            section.problem(
                "body_fields.\(label)",
                group,
                "must name a pattern group: \(groups.joined(separator: ", "))"
            )
        }
        let bodyWins = section.stringList("body_wins") ?? []
        for group in bodyWins where !groups.contains(group) {
            section.problem("body_wins", group, "must name a pattern group: \(groups.joined(separator: ", "))")
        }
        let resolvingStates = (section.stringList("resolving_states") ?? []).map { $0.lowercased() }
        guard let name, let subject else { return nil }
        return EmailPattern(
            name: name,
            subject: subject,
            body: body,
            bodyFields: bodyFields,
            statusWords: words.sorted { $0.word.count > $1.word.count },
            fixedStatus: fixed,
            identity: identity,
            bodyWins: bodyWins,
            resolvingStates: resolvingStates
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
}

/// The named groups an email pattern can fill.
enum EmailDecoderGroups {
    static let names = ["type", "state", "host", "service", "id", "title", "region"]
}

/// Where the generic decoder finds each field, and how it maps values; set per route in the configuration.
///
/// Paths are dotted (`alert.labels`), tried in order; the defaults follow INPUT-FORMATS.md §13.
public struct GenericMapping: Sendable, Hashable {
    /// Paths to the title; default `title`, `summary`, `message`.
    public var title = ["title", "summary", "message"]
    /// Paths to the description; default `description`, `details`, `body`.
    public var description = ["description", "details", "body"]
    /// Paths to the status; default `status`, `state`, `event_action`.
    public var status = ["status", "state", "event_action"]
    /// Paths to the severity; default `severity`, `priority`, `level`.
    public var severity = ["severity", "priority", "level"]
    /// Paths to the dedup key; default `dedup_key`, `fingerprint`, `alias`, `id`. Without one, a hash of the source
    /// and the sorted labels.
    public var dedupKey = ["dedup_key", "fingerprint", "alias", "id"]
    /// Paths to the start time (RFC 3339 or epoch s/ms); default `starts_at`, `timestamp`, `time`.
    public var occurredAt = ["starts_at", "timestamp", "time"]
    /// Paths to the end time; default `ends_at`, `resolved_at`.
    public var resolvedAt = ["ends_at", "resolved_at"]
    /// Paths to labels (an object, or a list of `key:value` strings); default `labels`, `tags`.
    public var labels = ["labels", "tags"]
    /// Paths to links (a list of `{href|url, text}`, or one URL string); default `links`, `url`.
    public var links = ["links", "url"]
    /// Path to the sending system's name; default `source`.
    public var source = ["source"]
    /// Status words (lower-cased) on top of the built-in vocabulary.
    public var statusValues: [String: AlertStatus] = [:]
    /// Severity words (lower-cased) on top of the built-in vocabulary.
    public var severityValues: [String: Severity] = [:]

    /// The defaults.
    public init() {}

    /// The built-in status vocabulary.
    static let statusVocabulary: [String: AlertStatus] = [
        "firing": .firing, "fire": .firing, "trigger": .firing, "triggered": .firing, "open": .firing,
        "alerting": .firing,
        "problem": .firing, "active": .firing, "alarm": .firing, "resolved": .resolved, "resolve": .resolved,
        "ok": .resolved,
        "closed": .resolved, "recovered": .resolved, "clear": .resolved, "cleared": .resolved,
        "acknowledged": .acknowledged,
        "ack": .acknowledged,
    ]
}

/// Any JSON object read through configured field paths (INPUT-FORMATS.md §13), optionally in a CloudEvents 1.0
/// envelope. Chosen by route, or as the `auto` fallback when the route enables it.
public struct GenericDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .generic }
    public var detectionRank: Int? { nil }

    public func recognizes(_ object: JSONObject) -> Bool { true }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let mapping = context.options.generic
        // CloudEvents 1.0 structured mode: the event is in `data`; `source`, `time` and `id` come from the envelope.
        let cloudEvent = object["specversion"] != nil && object["data"]?.object != nil
        let body = JSONValue.object(cloudEvent ? object.object("data")! : object)
        func first(_ paths: [String]) -> JSONValue? {
            for path in paths {
                if let value = body.at(path: path), value != .null { return value }
            }
            return nil
        }
        func text(_ paths: [String]) -> String? { first(paths)?.scalarText?.nonEmpty }

        guard let title = text(mapping.title) else {
            throw Rejection(.invalidPayload, "generic: no title at \(mapping.title.joined(separator: ", "))")
        }
        let statusWord = text(mapping.status)?.lowercased()
        let status: AlertStatus
        if let statusWord {
            guard let mapped = mapping.statusValues[statusWord] ?? GenericMapping.statusVocabulary[statusWord] else {
                throw Rejection(
                    .invalidPayload,
                    "generic: status \"\(statusWord)\" is not a known word; map it in generic.status_values"
                )
            }
            status = mapped
        } else {
            status = .firing
        }

        var labels = LabelBuilder()
        if let value = first(mapping.labels) {
            if let list = value.array {
                for item in list.prefix(LabelBuilder.maxLabels) {
                    let parts = (item.scalarText ?? "").split(separator: ":", maxSplits: 1).map(String.init)
                    if parts.count == 2 {
                        labels.set(parts[0], parts[1])
                    } else if let only = parts.first {
                        labels.set(only, "true")
                    }
                }
            } else {
                labels.flatten(value, prefix: "", depth: 2)
            }
        }
        let source = text(mapping.source) ?? (cloudEvent ? object.text("source") : nil)
        labels.set("generic_source", source)
        var all = labels.labels
        let severityWord = text(mapping.severity)?.lowercased()
        let severity =
            severityWord.flatMap { mapping.severityValues[$0] } ?? context.severity(severityWord, labels: &all)

        let key: String
        if let provided = text(mapping.dedupKey) ?? (cloudEvent ? object.text("id") : nil) {
            key = "generic:" + provided
        } else {
            var hash = FNV1a()
            hash.combine(source ?? "")
            for (name, value) in labels.labels.sorted(by: { $0.key < $1.key }) {
                hash.combine(0xFF)
                hash.combine(name)
                hash.combine(0xFF)
                hash.combine(value)
            }
            if labels.labels.isEmpty { hash.combine(title) }
            key = "generic:" + String(hash.value, radix: 16)
        }
        var links: [NormalizedEvent.Link] = []
        if let value = first(mapping.links) {
            if let url = value.string {
                links.append(.init(href: url, text: "link"))
            } else {
                for link in (value.array ?? []).prefix(20) {
                    if let href = link["href"]?.string ?? link["url"]?.string {
                        links.append(.init(href: href, text: link["text"]?.string ?? "link"))
                    }
                }
            }
        }
        let occurred =
            Timestamp(flexible: first(mapping.occurredAt)) ?? (cloudEvent ? Timestamp(flexible: object["time"]) : nil)
        let resolved = Timestamp(flexible: first(mapping.resolvedAt))
        return [
            NormalizedEvent(
                source: "generic",
                dedupKey: key,
                status: status,
                severity: severity,
                title: title,
                description: text(mapping.description) ?? "",
                labels: all,
                links: links,
                occurredAt: occurred ?? context.receivedAt,
                resolvedAt: status == .resolved ? (resolved ?? context.receivedAt) : nil
            )
        ]
    }
}

/// Any JSON object read through configured field paths (``GenericMapping``), optionally in a CloudEvents 1.0
/// envelope, optionally holding a list of alerts (`events`). Chosen by route, or as the `auto` fallback when the
/// route enables it: the way to take in a sender no decoder knows, without code.
public struct GenericDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .generic }
    public var detectionRank: Int? { nil }
    public var detectionRule: String { "by route only (or generic_fallback): any JSON object" }

    public func recognizes(_ object: JSONObject) -> Bool { true }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let mapping = context.options.generic
        // CloudEvents 1.0 structured mode: the event is in `data`; `source`, `time` and `id` come from the envelope.
        let cloudEvent = object["specversion"] != nil && object["data"]?.object != nil
        let document = JSONValue.object(cloudEvent ? object.object("data")! : object)
        let envelope = cloudEvent ? object : nil
        let paths = mapping.events.isEmpty ? [GenericMapping.topLevelArrayPath] : mapping.events
        let list = paths.lazy.compactMap { path -> [JSONValue]? in
            path == GenericMapping.topLevelArrayPath ? object[path]?.array : document.at(path: path)?.array
        }.first
        guard let list else {
            if !mapping.events.isEmpty {
                context.note("generic: no list at \(mapping.events.joined(separator: ", ")): the payload is one alert")
            }
            return [try decodeOne(document, root: document, envelope: envelope, mapping: mapping, context: context)]
        }
        context.note("generic: \(list.count) alerts in the list")
        var events: [NormalizedEvent] = []
        for (position, element) in list.enumerated() {
            guard element.object != nil else {
                throw Rejection(.invalidPayload, "generic: element \(position) of the events list is not an object")
            }
            events.append(
                try decodeOne(element, root: document, envelope: envelope, mapping: mapping, context: context)
            )
        }
        return events
    }

    private func decodeOne(
        _ body: JSONValue,
        root: JSONValue,
        envelope: JSONObject?,
        mapping: GenericMapping,
        context: DecodeContext
    ) throws(Rejection) -> NormalizedEvent {
        func first(_ paths: [String]) -> JSONValue? {
            for path in paths {
                if let value = body.at(path: path), value != .null { return value }
            }
            for path in paths where root != body {
                if let value = root.at(path: path), value != .null { return value }
            }
            return nil
        }
        func text(_ paths: [String]) -> String? { first(paths)?.scalarText?.nonEmpty }

        guard let title = mapping.titleTemplate.flatMap({ Self.render($0, with: text) }) ?? text(mapping.title) else {
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
        let source = text(mapping.source) ?? envelope?.text("source")
        labels.set("generic_source", source)
        var all = labels.labels
        let severityWord = text(mapping.severity)?.lowercased()
        let severity =
            severityWord.flatMap { mapping.severityValues[$0] } ?? context.severity(severityWord, labels: &all)

        let key: String
        let fields = mapping.dedupFields.map { text([$0]) }
        if !fields.isEmpty, fields.contains(where: { $0 != nil }) {
            key = "generic:" + fields.map { $0 ?? "" }.joined(separator: "/")
        } else if let provided = text(mapping.dedupKey) ?? envelope?.text("id") {
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
        let occurred = Timestamp(flexible: first(mapping.occurredAt)) ?? Timestamp(flexible: envelope?["time"])
        let resolved = Timestamp(flexible: first(mapping.resolvedAt))
        return NormalizedEvent(
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
    }

    /// `"{check} on {host}"` with each `{path}` replaced by its value (empty when missing); `nil` when no placeholder
    /// has a value.
    static func render(_ template: String, with value: ([String]) -> String?) -> String? {
        var result = ""
        var found = false
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            if let text = value([String(rest[rest.index(after: open)..<close]).trimmingWhitespace()]) {
                result += text
                found = true
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return found ? result.trimmingWhitespace().nonEmpty : nil
    }
}

public import Normalizer

/// Fills `{{name}}` placeholders from an incident command. Values are inserted as JSON values or as text inside
/// JSON strings and encoded by the JSON writer, and percent-encoded in URLs: never spliced into raw text.
public struct RequestTemplate: Sendable {
    /// Every placeholder name a template may use.
    public static let variables: [String] = [
        "action", "dedup_key", "external_id", "reason", "title", "description", "body_text", "severity", "status",
        "source", "occurred_at", "resolved_at", "labels", "links", "is_reply", "labels.<name>",
    ]

    /// The placeholder names used in `text` that are not known, for configuration checks.
    public static func unknownPlaceholders(in text: String) -> [String] {
        placeholders(in: text).filter { name in
            !variables.contains(name) && !(name.hasPrefix("labels.") && name.count > "labels.".count)
        }
    }

    /// The placeholder names in every string of `value`.
    public static func unknownPlaceholders(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): return unknownPlaceholders(in: text)
        case .array(let items): return items.flatMap { unknownPlaceholders(in: $0) }
        case .object(let object):
            return object.members.flatMap { unknownPlaceholders(in: $0.key) + unknownPlaceholders(in: $0.value) }
        default: return []
        }
    }

    /// The values for one command.
    let values: [String: JSONValue]

    /// Prepares the values of `command`.
    public init(command: IncidentCommand, severity: String, status: String, bodyText: String) {
        let event = command.event
        var values: [String: JSONValue] = [
            "action": .string(command.action.rawValue),
            "dedup_key": .string(command.dedupKey),
            "external_id": command.externalID.map(JSONValue.string) ?? .null,
            "reason": .string(command.reason),
            "title": .string(event.title),
            "description": .string(event.description),
            "body_text": .string(bodyText),
            "severity": .string(severity),
            "status": .string(status),
            "source": .string(event.source),
            "occurred_at": event.occurredAt.map { .string($0.rfc3339) } ?? .null,
            "resolved_at": event.resolvedAt.map { .string($0.rfc3339) } ?? .null,
            "is_reply": .bool(event.isReply),
            "labels": .object(
                JSONObject(event.labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
            ),
            "links": .array(
                event.links.map { .object(JSONObject([("href", .string($0.href)), ("text", .string($0.text))])) }
            ),
        ]
        for (name, value) in event.labels { values["labels.\(name)"] = .string(value) }
        self.values = values
    }

    /// `template` with placeholders replaced by the values' text, each passed through `encode`.
    public func text(_ template: String, encode: (String) -> String = { $0 }) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{"), let close = rest[open.upperBound...].firstRange(of: "}}") {
            output += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmed
            output += encode(Self.plain(values[name] ?? .null))
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    /// The body `template` filled in.
    public func json(_ template: JSONValue) -> JSONValue {
        switch template {
        case .string(let text):
            let trimmed = text.trimmed
            if trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), Self.placeholders(in: trimmed).count == 1,
                trimmed.dropFirst(2).dropLast(2).firstRange(of: "{{") == nil
            {
                return values[String(trimmed.dropFirst(2).dropLast(2)).trimmed] ?? .null
            }
            return .string(self.text(text))
        case .array(let items): return .array(items.map(json))
        case .object(let object): return .object(JSONObject(object.members.map { ($0.key, json($0.value)) }))
        default: return template
        }
    }

    private static func plain(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .array, .object: JSONWriter.string(value, sortedKeys: true)
        }
    }

    private static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{"), let close = rest[open.upperBound...].firstRange(of: "}}") {
            names.append(rest[open.upperBound..<close.lowerBound].trimmed)
            rest = rest[close.upperBound...]
        }
        return names
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmed: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

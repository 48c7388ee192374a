public import Normalizer

/// The texts every adapter writes from an event: the incident body, a reply, the resolution note, and HTML for APIs
/// whose text fields take it. Pure.
public enum IncidentText {
    /// The incident body: the description, then labels and links, so a responder sees where the alert came from.
    public static func body(_ event: NormalizedEvent) -> String {
        var text = event.description
        if !event.labels.isEmpty {
            if !text.isEmpty { text += "\n\n" }
            text +=
                "Labels:\n"
                + event.labels.sorted { $0.key < $1.key }.map { "- \($0.key): \($0.value)" }.joined(separator: "\n")
        }
        if !event.links.isEmpty {
            if !text.isEmpty { text += "\n\n" }
            text += "Links:\n" + event.links.map { "- \($0.text): \($0.href)" }.joined(separator: "\n")
        }
        return text
    }

    /// What a comment says: the reply's text, or its title when it has none.
    public static func comment(_ event: NormalizedEvent) -> String {
        event.description.isEmpty ? event.title : event.description
    }

    /// A reply as a paragraph appended to a description, for APIs without comments: `Reply at <time>: <text>`.
    public static func reply(_ event: NormalizedEvent) -> String {
        "Reply\(event.occurredAt.map { " at \($0.rfc3339)" } ?? ""): \(comment(event))"
    }

    /// The note a resolve leaves: `Resolved at the source at <time> (<source>).`
    public static func resolutionNote(_ event: NormalizedEvent) -> String {
        "Resolved at the source\(event.resolvedAt.map { " at \($0.rfc3339)" } ?? "") (\(event.source))."
    }

    /// Plain text as HTML: escaped, line breaks kept as `<br>`.
    public static func html(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n": out += "<br>"
            default: out.append(character)
            }
        }
        return out
    }
}

/// What a payload looked like, in a few words, for rejection messages: enough for a person reading
/// `ingestor dlq stats` or `dlq list` to tell a sender nobody configured yet from garbage, never the payload itself.
enum PayloadSummary {
    /// Member names listed at most.
    static let maxKeys = 8
    /// Characters of text quoted at most.
    static let maxExcerpt = 40

    /// `a JSON object with top-level keys [a, b, c, …] (12 keys)`.
    static func object(_ object: JSONObject) -> String {
        let shown = object.keys.prefix(maxKeys).map { excerpt($0, limit: 32) }
        let more = object.count > maxKeys ? ", …" : ""
        let count = object.count > maxKeys ? " (\(object.count) keys)" : ""
        return object.count == 0
            ? "an empty JSON object"
            : "a JSON object with top-level keys [\(shown.joined(separator: ", "))\(more)]\(count)"
    }

    /// A JSON document that is not an object: `a JSON array of 3 elements`, `a JSON string`, ….
    static func document(_ value: JSONValue) -> String {
        switch value {
        case .object(let object): return self.object(object)
        case .array(let elements):
            let first = elements.first.map { " (the first is \(kind($0)))" } ?? ""
            return "a JSON array of \(elements.count) element\(elements.count == 1 ? "" : "s")\(first)"
        default: return kind(value)
        }
    }

    private static func kind(_ value: JSONValue) -> String {
        switch value {
        case .object(let object): return object.count == 0 ? "an empty JSON object" : "a JSON object"
        case .array: return "a JSON array"
        case .string: return "a JSON string"
        case .number: return "a JSON number"
        case .bool: return "a JSON boolean"
        case .null: return "JSON null"
        }
    }

    /// Bytes that are not valid JSON: a mail (with its sender and subject), XML, form fields, text or binary data.
    static func bytes(_ bytes: [UInt8]) -> String {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        let head = bytes[start..<min(bytes.count, start + 512)]
        if head.starts(with: [0x1F, 0x8B]) { return "gzip-compressed data (\(bytes.count) bytes)" }
        if Normalizer.looksLikeEmail(bytes) { return mail(bytes) }
        let text = String(decoding: head, as: UTF8.self).trimmingWhitespace()
        let printable = head.filter { $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }.count
        if head.count > 0, printable * 10 < head.count * 9 {
            return "binary data (\(bytes.count) bytes, not text)"
        }
        if head.first == UInt8(ascii: "<") {
            return "XML or HTML starting \(quoted(text))"
        }
        if !text.contains(" "), text.contains("="), text.contains("&") || !text.contains("\n") {
            let fields = text.split(separator: "&").prefix(maxKeys).compactMap { $0.split(separator: "=").first }
            return "form-encoded fields [\(fields.map { excerpt(String($0), limit: 32) }.joined(separator: ", "))]"
        }
        if head.first == UInt8(ascii: "{") || head.first == UInt8(ascii: "[") {
            return "broken JSON starting \(quoted(text))"
        }
        return "text starting \(quoted(text))"
    }

    /// `a mail from a@example.com with subject "…"`.
    static func mail(_ bytes: [UInt8]) -> String {
        var count = 0
        let headers = try? MailHeaders(
            parsing: bytes[...].prefix(16 * 1024),
            maxCount: 200,
            maxFieldBytes: 4096,
            count: &count
        )
        var guessed = false
        let from = headers?.text("From", fallback: "windows-1252", guessed: &guessed).flatMap {
            EmailDecoder.address(in: $0)
        }
        let subject = headers?.text("Subject", fallback: "windows-1252", guessed: &guessed)
        var words = "a mail"
        if let from { words += " from \(excerpt(from, limit: 64))" }
        if let subject { words += " with subject \(quoted(subject))" }
        return words
    }

    /// At most `maxExcerpt` characters in quotes, control characters shown as `·`.
    static func quoted(_ text: String) -> String {
        "\"\(excerpt(text, limit: maxExcerpt))\""
    }

    private static func excerpt(_ text: String, limit: Int) -> String {
        let cleaned = String(text.prefix(limit + 1).map { $0.isASCII && ($0.asciiValue ?? 0) < 0x20 ? "·" : $0 })
        return cleaned.count > limit ? String(cleaned.prefix(limit)) + "…" : cleaned
    }
}

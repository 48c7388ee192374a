/// The header section of a message or MIME part: fields in order, unfolded, names compared case-insensitively.
struct MailHeaders {
    /// One field with its raw value bytes (after unfolding).
    struct Field {
        var name: String
        var lowercasedName: String
        var value: [UInt8]
        /// Whether the value was cut at the field size limit.
        var truncated = false
    }

    private(set) var fields: [Field] = []

    /// Where the body starts in the parsed bytes.
    private(set) var bodyStart: Int = 0
    /// Malformations met on the way, for the `mime_defect` label.
    private(set) var defects: Set<String> = []

    /// What a cut field's decoded text ends with.
    static let truncationMarker = " [truncated]"

    /// Splits `bytes` into the header section and the body start: up to the first empty line, with CRLF, bare LF or
    /// mixed line endings. A field longer than `maxFieldBytes` after unfolding (a subject folded over hundreds of
    /// kilobytes) is cut there and marked, not refused.
    /// - Throws: ``Rejection`` for more fields than `maxCount`.
    init(parsing bytes: ArraySlice<UInt8>, maxCount: Int, maxFieldBytes: Int, count: inout Int) throws(Rejection) {
        var index = bytes.startIndex
        // mbox "From " line at the top.
        if bytes[index...].starts(with: Array("From ".utf8)) {
            defects.insert("mbox_from_line")
            index = Self.nextLine(bytes, from: index)
        }
        var current: Field?
        func append(_ piece: ArraySlice<UInt8>, to field: inout Field) {
            guard !field.truncated else { return }
            let room = maxFieldBytes - field.value.count
            if piece.count <= room {
                field.value.append(contentsOf: piece)
            } else {
                field.value.append(contentsOf: piece.prefix(max(room, 0)))
                Self.cutAtWhitespace(&field.value)
                field.truncated = true
                defects.insert("header_truncated")
            }
        }
        while index < bytes.endIndex {
            let lineEnd = Self.lineEnd(bytes, from: index)
            var line = bytes[index..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            let next = lineEnd < bytes.endIndex ? lineEnd + 1 : lineEnd
            if line.isEmpty {
                index = next
                break
            }
            if line.first == 0x20 || line.first == 0x09 {
                if current != nil {
                    // Unfolding: the line break goes, the whitespace stays (RFC 5322 §2.2.3).
                    append(line, to: &current!)
                } else {
                    defects.insert("folded_first_line")
                }
            } else if let name = Self.fieldName(in: line) {
                if let finished = current { fields.append(finished) }
                count += 1
                if count > maxCount { throw Rejection(.tooManyHeaders, "more than \(maxCount) header fields") }
                if name.endIndex < line.endIndex, line[name.endIndex] != UInt8(ascii: ":") {
                    defects.insert("obsolete_field_syntax")  // `Subject : …` (RFC 5322 §4.5)
                }
                let colon = line[name.endIndex...].firstIndex(of: UInt8(ascii: ":"))!
                var value = line[(colon + 1)...]
                while value.first == 0x20 || value.first == 0x09 { value = value.dropFirst() }
                let text = String(decoding: name, as: UTF8.self)
                var field = Field(name: text, lowercasedName: text.lowercased(), value: [])
                append(value, to: &field)
                current = field
            } else if current != nil {
                // A continuation line without leading whitespace: keep it with the field before.
                defects.insert("unindented_continuation")
                append([0x20], to: &current!)
                append(line, to: &current!)
            } else {
                defects.insert("garbage_before_headers")
            }
            index = next
        }
        if let finished = current { fields.append(finished) }
        bodyStart = index
    }

    /// The name of a header line `Name: value`: printable ASCII without colon (RFC 5322 §3.6.8), white space before
    /// the colon tolerated (the obsolete `Subject :` of §4.5); `nil` when the line is no header field.
    static func fieldName(in line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return nil }
        var end = colon
        while end > line.startIndex, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        guard end > line.startIndex, line[line.startIndex..<end].allSatisfy({ $0 > 32 && $0 < 127 }) else {
            return nil
        }
        return line[line.startIndex..<end]
    }

    /// Backs a cut value off to its last white space (at most 256 bytes back), so no encoded word or multibyte
    /// character is left half.
    private static func cutAtWhitespace(_ value: inout [UInt8]) {
        let floor = max(0, value.count - 256)
        if let space = value[floor...].lastIndex(where: { $0 == 0x20 || $0 == 0x09 }), space > 0 {
            value.removeSubrange(space...)
        }
    }

    /// An empty header section (the implicit headers of a part that has none).
    init() {}

    static func lineEnd(_ bytes: ArraySlice<UInt8>, from index: Int) -> Int {
        bytes[index...].firstIndex(of: 0x0A) ?? bytes.endIndex
    }

    static func nextLine(_ bytes: ArraySlice<UInt8>, from index: Int) -> Int {
        let end = lineEnd(bytes, from: index)
        return end < bytes.endIndex ? end + 1 : end
    }

    /// The first field named `name`.
    func field(_ name: String) -> Field? {
        let wanted = name.lowercased()
        return fields.first { $0.lowercasedName == wanted }
    }

    /// The raw value of the first field named `name`.
    func raw(_ name: String) -> [UInt8]? {
        field(name)?.value
    }

    /// Every raw value of fields named `name`, in order.
    func all(_ name: String) -> [[UInt8]] {
        let wanted = name.lowercased()
        return fields.filter { $0.lowercasedName == wanted }.map(\.value)
    }

    /// The decoded text of the first field named `name`: raw UTF-8 if valid (RFC 6532), else the fallback
    /// charset; RFC 2047 encoded words in their own charsets. A field cut at the size limit ends with
    /// ``truncationMarker``.
    func text(_ name: String, fallback: String, guessed: inout Bool) -> String? {
        guard let field = field(name) else { return nil }
        let text = EncodedWords.decode(bytes: field.value, fallback: fallback, guessed: &guessed).trimmingWhitespace()
        return field.truncated ? text + Self.truncationMarker : text
    }

    /// The value as ASCII-ish text without decoding, for structured fields (Content-Type, Message-ID, Date).
    func plain(_ name: String) -> String? {
        raw(name).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// A `Content-Type`/`Content-Disposition` value: the main token and its parameters, with RFC 2231 continuations
/// and charsets, and RFC 2047 words inside quoted parameters (invalid, but common).
struct HeaderParameters {
    /// The main value, lower-cased (`multipart/mixed`, `attachment`).
    var value: String
    /// Parameters by lower-cased name.
    var parameters: [String: String]

    init(_ text: String, fallback: String) {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quoted {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == ";" && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        value = parts.first.map { Self.stripComments($0).trimmingWhitespace().lowercased() } ?? ""
        var simple: [String: String] = [:]
        var continuations: [String: [(index: Int, text: String, encoded: Bool)]] = [:]
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: "=") else { continue }
            var name = String(part[..<equals]).trimmingWhitespace().lowercased()
            var raw = String(part[part.index(after: equals)...]).trimmingWhitespace()
            if raw.hasPrefix("\"") && raw.hasSuffix("\"") && raw.count >= 2 { raw = String(raw.dropFirst().dropLast()) }
            let encoded = name.hasSuffix("*")
            if encoded { name.removeLast() }
            let pieces = name.split(separator: "*", maxSplits: 1)
            if pieces.count == 2, let index = Int(pieces[1]) {
                continuations[String(pieces[0]), default: []].append((index, raw, encoded))
            } else if encoded {
                simple[name] = Self.decode2231(raw, first: true, charset: nil, fallback: fallback)
            } else {
                var guessed = false
                simple[name] = EncodedWords.decode(raw, fallback: fallback, guessed: &guessed)
            }
        }
        // Continuations may arrive out of order: join them by index (RFC 2231 §3).
        for (name, pieces) in continuations {
            let ordered = pieces.sorted { $0.index < $1.index }
            var charset: String?
            var bytes: [UInt8] = []
            for (position, piece) in ordered.enumerated() {
                if piece.encoded {
                    var text = piece.text
                    if position == 0, let parsed = Self.splitCharset(text) {
                        charset = parsed.charset
                        text = parsed.rest
                    }
                    bytes += Self.percentDecoded(text)
                } else {
                    bytes += Array(piece.text.utf8)
                }
            }
            var guessed = false
            simple[name] = Charset.decode(bytes, label: charset, fallback: fallback, guessed: &guessed)
        }
        parameters = simple
    }

    /// `charset'lang'%XX…` → (charset, rest).
    static func splitCharset(_ text: String) -> (charset: String, rest: String)? {
        let parts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return (String(parts[0]), String(parts[2]))
    }

    static func decode2231(_ text: String, first: Bool, charset: String?, fallback: String) -> String {
        var label = charset
        var rest = text
        if first, let parsed = splitCharset(text) {
            label = parsed.charset
            rest = parsed.rest
        }
        var guessed = false
        return Charset.decode(percentDecoded(rest), label: label, fallback: fallback, guessed: &guessed)
    }

    static func percentDecoded(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                output.append(value)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    /// Removes RFC 5322 comments `( … )` from a structured value.
    static func stripComments(_ text: String) -> String {
        var result = ""
        var depth = 0
        for character in text {
            if character == "(" {
                depth += 1
            } else if character == ")" && depth > 0 {
                depth -= 1
            } else if depth == 0 {
                result.append(character)
            }
        }
        return result
    }
}

/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header text.
///
/// Whitespace between two adjacent encoded words is dropped (§6.2), and the *bytes* of adjacent words in the same
/// charset are joined before charset decoding, because senders split multibyte characters across words. Malformed
/// words (spaces inside, glued `?==?`, lowercase b/q, over-long) are read anyway. Words are found in the raw bytes,
/// so a broken mailer's unencoded 8-bit bytes inside a word are read in the word's own charset, not in the charset
/// guessed for the rest of the field.
enum EncodedWords {
    private struct Word {
        var charset: String
        var bytes: [UInt8]
        var range: Range<Int>
    }

    /// Decodes the encoded words in already charset-decoded header text (a MIME parameter).
    static func decode(_ text: String, fallback: String, guessed: inout Bool) -> String {
        guard text.contains("=?") else { return text }
        return decode(bytes: Array(text.utf8), fallback: fallback, guessed: &guessed)
    }

    /// Decodes a raw header value: the text outside encoded words as UTF-8 if valid, else in `fallback`; each
    /// encoded word in its declared charset.
    static func decode(bytes: [UInt8], fallback: String, guessed: inout Bool) -> String {
        var words: [Word] = []
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "?"),
                let word = parseWord(bytes, at: index)
            else {
                index += 1
                continue
            }
            words.append(word)
            index = word.range.upperBound
        }
        guard !words.isEmpty else { return Charset.decode(bytes, label: nil, fallback: fallback, guessed: &guessed) }
        var result = ""
        var cursor = 0
        var pending: (charset: String, bytes: [UInt8])?
        func flush() {
            if let pending {
                result += Charset.decode(pending.bytes, label: pending.charset, fallback: fallback, guessed: &guessed)
            }
            pending = nil
        }
        for word in words {
            let between = bytes[cursor..<word.range.lowerBound]
            let adjacent = pending != nil && between.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
            if adjacent, let current = pending, current.charset == word.charset {
                pending = (current.charset, current.bytes + word.bytes)
            } else {
                flush()
                if !adjacent { result += Charset.decode(between, label: nil, fallback: fallback, guessed: &guessed) }
                pending = (word.charset, word.bytes)
            }
            cursor = word.range.upperBound
        }
        flush()
        result += Charset.decode(bytes[cursor...], label: nil, fallback: fallback, guessed: &guessed)
        return result
    }

    /// Reads `=?charset[*lang]?B|Q?text?=` starting at `start`.
    private static func parseWord(_ bytes: [UInt8], at start: Int) -> Word? {
        var index = start + 2
        let charsetStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "?") {
            // Charset names are short ASCII tokens; anything else is no encoded word.
            guard index - charsetStart < 64, bytes[index] > 0x20, bytes[index] < 0x7F else { return nil }
            index += 1
        }
        guard index + 2 < bytes.count, bytes[index + 2] == UInt8(ascii: "?") else { return nil }
        let charset = String(decoding: bytes[charsetStart..<index], as: UTF8.self)
        let encoding = bytes[index + 1] | 0x20  // lower-case ASCII letter
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
        index += 3
        var payload: [UInt8] = []
        while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "?") && bytes[index + 1] == UInt8(ascii: "=")) {
            guard payload.count < 4096, bytes[index] != 0x0A else { return nil }
            if bytes[index] != 0x20 || encoding == UInt8(ascii: "q") { payload.append(bytes[index]) }
            index += 1
        }
        guard index + 1 < bytes.count else { return nil }
        // RFC 2231 §5: a language tag after `*` in the charset.
        let name = (charset.split(separator: "*", maxSplits: 1).first.map(String.init) ?? charset).lowercased()
        let decoded =
            encoding == UInt8(ascii: "b")
            ? TransferEncoding.base64(payload) : TransferEncoding.quotedPrintable(payload, header: true)
        return Word(charset: name, bytes: decoded, range: start..<(index + 2))
    }
}

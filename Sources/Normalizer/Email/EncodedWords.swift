/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header text.
///
/// Whitespace between two adjacent encoded words is dropped (§6.2), and the *bytes* of adjacent words in the same
/// charset are joined before charset decoding, because senders split multibyte characters across words
/// (INPUT-FORMATS.md §14.2). Malformed words (spaces inside, glued `?==?`, lowercase b/q, over-long) are read
/// anyway.
enum EncodedWords {
    private struct Word {
        var charset: String
        var bytes: [UInt8]
        var range: Range<Int>
    }

    /// Decodes the encoded words in already charset-decoded header text.
    static func decode(_ text: String, fallback: String, guessed: inout Bool) -> String {
        guard text.contains("=?") else { return text }
        let scalars = Array(text.unicodeScalars)
        var words: [Word] = []
        var index = 0
        while index + 1 < scalars.count {
            guard scalars[index] == "=", scalars[index + 1] == "?", let word = parseWord(scalars, at: index) else {
                index += 1
                continue
            }
            words.append(word)
            index = word.range.upperBound
        }
        guard !words.isEmpty else { return text }
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
            let between = String(String.UnicodeScalarView(scalars[cursor..<word.range.lowerBound]))
            let adjacent = pending != nil && between.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
            if adjacent, let current = pending, current.charset == word.charset.lowercased() {
                pending = (current.charset, current.bytes + word.bytes)
            } else {
                flush()
                if !adjacent { result += between }
                pending = (word.charset.lowercased(), word.bytes)
            }
            cursor = word.range.upperBound
        }
        flush()
        result += String(String.UnicodeScalarView(scalars[cursor...]))
        return result
    }

    /// Reads `=?charset[*lang]?B|Q?text?=` starting at `start`.
    private static func parseWord(_ scalars: [Unicode.Scalar], at start: Int) -> Word? {
        var index = start + 2
        var charset = ""
        while index < scalars.count, scalars[index] != "?" {
            if charset.count > 64 { return nil }
            charset.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard index + 2 < scalars.count, scalars[index + 2] == "?" else { return nil }
        let encoding = Character(scalars[index + 1]).lowercased()
        guard encoding == "b" || encoding == "q" else { return nil }
        index += 3
        var payload: [UInt8] = []
        while index + 1 < scalars.count, !(scalars[index] == "?" && scalars[index + 1] == "=") {
            guard scalars[index].isASCII, payload.count < 4096 else { return nil }
            if scalars[index] != " " || encoding == "q" { payload.append(UInt8(scalars[index].value)) }
            index += 1
        }
        guard index + 1 < scalars.count else { return nil }
        // RFC 2231 §5: a language tag after `*` in the charset.
        let name = charset.split(separator: "*", maxSplits: 1).first.map(String.init) ?? charset
        let bytes =
            encoding == "b" ? TransferEncoding.base64(payload) : TransferEncoding.quotedPrintable(payload, header: true)
        return Word(charset: name, bytes: bytes, range: start..<(index + 2))
    }
}

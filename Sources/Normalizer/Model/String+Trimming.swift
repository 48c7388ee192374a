extension String {
    /// The string without leading and trailing spaces, tabs, carriage returns and line feeds.
    func trimmingWhitespace() -> String {
        // Nearly every value has nothing to trim: seen on its first and last UTF-8 byte, without grapheme breaking
        // and without a copy. (Trimming itself stays on Characters: a space followed by a combining mark is one
        // Character, which byte-wise trimming would split.)
        let bytes = utf8
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        if let first = bytes.first, let last = bytes.last, !isSpace(first), !isSpace(last) { return self }
        let isSpaceCharacter: (Character) -> Bool = {
            $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n"
        }
        guard let first = firstIndex(where: { !isSpaceCharacter($0) }) else { return "" }
        let last = lastIndex(where: { !isSpaceCharacter($0) })!
        return String(self[first...last])
    }

    /// `nil` when the string is empty after trimming, else the trimmed string.
    var nonEmpty: String? {
        let trimmed = trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }
}

import Testing

@testable import Normalizer

/// `trimmingWhitespace` works on UTF-8 bytes for speed; it must give what trimming Characters gives.
@Suite("Trimming")
struct TrimmingTests {
    /// The Character-by-Character definition it replaced.
    static func reference(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = text.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = text.lastIndex(where: { !isSpace($0) })!
        return String(text[first...last])
    }

    @Test func bytesAndCharactersAgree() {
        let pieces = [" ", "\t", "\n", "\r", "\r\n", "a", "é", "e\u{301}", "\u{301}", "日本", "👩‍👩‍👧", "x y", ""]
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }
            .joined()
            #expect(text.trimmingWhitespace() == Self.reference(text), "\(Array(text.unicodeScalars))")
            checked += 1
        }
        #expect(checked == 20_000)
        #expect("  Disk full \r\n".trimmingWhitespace() == "Disk full")
        #expect(" \u{301}x ".trimmingWhitespace() == " \u{301}x", "a space with a combining mark is one Character")
        #expect("\t\r\n".trimmingWhitespace() == "")
    }
}

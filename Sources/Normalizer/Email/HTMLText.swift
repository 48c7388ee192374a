/// Turns HTML into readable text: scripts, styles and comments dropped, block elements as line breaks, list items
/// as "- ", entities decoded, whitespace collapsed.
enum HTMLText {
    static func text(from html: String) -> String {
        var output = ""
        output.reserveCapacity(html.utf8.count)
        let scalars = Array(html.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<" {
                if hasPrefix(scalars, at: index, "<!--") {
                    index = find(scalars, "-->", from: index + 4).map { $0 + 3 } ?? scalars.count
                    continue
                }
                let close = find(scalars, ">", from: index + 1) ?? scalars.count
                let tag = String(String.UnicodeScalarView(scalars[(index + 1)..<close])).lowercased()
                let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }
                if !tag.hasPrefix("/"), name == "script" || name == "style" || name == "head" || name == "title" {
                    let end = find(scalars, "</\(name)", from: close, caseInsensitive: true) ?? scalars.count
                    index = (find(scalars, ">", from: end) ?? scalars.count - 1) + 1
                    continue
                }
                switch name {
                case "br", "p", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "hr", "pre",
                    "blockquote":
                    output += "\n"
                case "li":
                    if !tag.hasPrefix("/") { output += "\n- " }
                case "td", "th":
                    output += " "
                default: break
                }
                index = close + 1
                continue
            }
            if scalar == "&", let (decoded, length) = entity(scalars, at: index) {
                output.unicodeScalars.append(contentsOf: decoded.unicodeScalars)
                index += length
                continue
            }
            output.unicodeScalars.append(scalar)
            index += 1
        }
        return collapse(output)
    }

    /// Collapses runs of spaces, trims lines, and keeps at most one empty line between paragraphs.
    static func collapse(_ text: String) -> String {
        var lines: [String] = []
        var blank = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var previousSpace = false
            for character in raw {
                let isSpace = character == " " || character == "\t" || character == "\r" || character == "\u{A0}"
                if isSpace {
                    if !previousSpace { line.append(" ") }
                } else {
                    line.append(character)
                }
                previousSpace = isSpace
            }
            line = line.trimmingWhitespace()
            if line.isEmpty {
                blank += 1
                if blank == 1, !lines.isEmpty { lines.append("") }
            } else {
                blank = 0
                lines.append(line)
            }
        }
        while lines.last == "" { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    private static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "copy": "©", "reg": "®",
        "mdash": "—",
        "ndash": "–", "hellip": "…", "rsquo": "’", "lsquo": "‘", "rdquo": "”", "ldquo": "“", "euro": "€", "deg": "°",
        "times": "×", "bull": "•", "middot": "·", "laquo": "«", "raquo": "»", "trade": "™",
    ]

    private static func entity(_ scalars: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        var end = start + 1
        while end < scalars.count, end - start <= 12, scalars[end] != ";" {
            guard scalars[end].properties.isAlphabetic || ("0"..."9").contains(scalars[end]) || scalars[end] == "#"
            else { return nil }
            end += 1
        }
        guard end < scalars.count, scalars[end] == ";" else { return nil }
        let body = String(String.UnicodeScalarView(scalars[(start + 1)..<end]))
        if body.hasPrefix("#") {
            let digits = body.dropFirst()
            let value = digits.lowercased().hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            guard let value, let scalar = Unicode.Scalar(value) else { return nil }
            return (String(Character(scalar)), end - start + 1)
        }
        guard let decoded = named[body.lowercased()] else { return nil }
        return (decoded, end - start + 1)
    }

    private static func hasPrefix(_ scalars: [Unicode.Scalar], at index: Int, _ prefix: String) -> Bool {
        let wanted = Array(prefix.unicodeScalars)
        guard index + wanted.count <= scalars.count else { return false }
        return Array(scalars[index..<(index + wanted.count)]) == wanted
    }

    private static func find(
        _ scalars: [Unicode.Scalar],
        _ needle: String,
        from start: Int,
        caseInsensitive: Bool = false
    ) -> Int? {
        let wanted = Array((caseInsensitive ? needle.lowercased() : needle).unicodeScalars)
        guard !wanted.isEmpty, start <= scalars.count - wanted.count else { return nil }
        var index = start
        while index <= scalars.count - wanted.count {
            var matched = true
            for offset in 0..<wanted.count {
                var scalar = scalars[index + offset]
                if caseInsensitive, ("A"..."Z").contains(scalar) { scalar = Unicode.Scalar(scalar.value + 32)! }
                if scalar != wanted[offset] {
                    matched = false
                    break
                }
            }
            if matched { return index }
            index += 1
        }
        return nil
    }
}

/// Subjects, addresses and message ids.
extension EmailDecoder {
    private static let replyPrefixes = [
        "re", "fwd", "fw", "aw", "sv", "tr", "wg", "antw", "vs", "vl", "rif", "r", "ref",
    ]

    /// The subject without reply and forward prefixes or leading `[tag]`s (RFC 5256 §2.1 plus localized prefixes).
    static func baseSubject(_ subject: String) -> String {
        var text = subject.trimmingWhitespace()
        var changed = true
        while changed {
            changed = false
            let lower = text.lowercased()
            for prefix in replyPrefixes {
                guard lower.hasPrefix(prefix) else { continue }
                var rest = text.dropFirst(prefix.count)
                if rest.hasPrefix("["), let close = rest.firstIndex(of: "]"),
                    rest[rest.index(after: rest.startIndex)..<close].allSatisfy(\.isNumber)
                {
                    rest = rest[rest.index(after: close)...]
                }
                rest = rest.drop { $0 == " " }
                if rest.hasPrefix(":") {
                    text = String(rest.dropFirst()).trimmingWhitespace()
                    changed = true
                    break
                }
            }
            if !changed, text.hasPrefix("["), let close = text.lastIndex(of: "]"),
                text[..<close].lowercased().hasPrefix("[fwd:"), text.index(after: close) == text.endIndex
            {
                // RFC 5256: "[fwd: subject]" wraps the forwarded subject.
                text = String(text[text.index(text.startIndex, offsetBy: 5)..<close]).trimmingWhitespace()
                changed = true
            }
            if !changed, text.hasPrefix("["), let close = text.firstIndex(of: "]"),
                text.index(after: close) < text.endIndex
            {
                let tag = text[text.index(after: text.startIndex)..<close].lowercased()
                if tag.count <= 20, !tag.contains(":") {
                    text = String(text[text.index(after: close)...]).trimmingWhitespace()
                    changed = true
                }
            }
            if text.lowercased().hasSuffix("(fwd)") {
                text = String(text.dropLast(5)).trimmingWhitespace()
                changed = true
            }
        }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// A stable identity from a subject: the base subject without the status word, lower-cased, spaces collapsed.
    static func subjectIdentity(_ subject: String, removing word: String?) -> String {
        var text = baseSubject(subject).lowercased()
        if let word = word?.lowercased(), !word.isEmpty, let range = text.firstRange(of: word) {
            text.removeSubrange(range)
        }
        return text.split { $0 == " " || $0 == ":" || $0 == "-" || $0 == "\t" }.joined(separator: " ")
    }

    /// The address in `Name <address>` or a bare address.
    static func address(in text: String) -> String? {
        if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            return String(text[text.index(after: open)..<close]).trimmingWhitespace().nonEmpty
        }
        return text.split(separator: " ").first { $0.contains("@") }.map(String.init)
    }

    /// Message ids in a `Message-ID`, `In-Reply-To` or `References` value: angle-bracketed ids, tolerating
    /// comments, stray text and ids without brackets (RFC 5322 §3.6.4).
    static func messageIDs(_ value: String?) -> [String] {
        guard let value = value.map({ HeaderParameters.stripComments($0) }) else { return [] }
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[rest.index(after: open)..<close].trimmingCharacters()
            if !id.isEmpty { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            ids = value.split { $0 == " " || $0 == "\t" || $0 == "," }.filter { $0.contains("@") }.map(String.init)
        }
        return ids
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String { String(self).trimmingWhitespace() }
}

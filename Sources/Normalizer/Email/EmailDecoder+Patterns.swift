import Synchronization

/// Recognising monitoring tools' mail by subject and body patterns.
extension EmailDecoder {
    struct ToolMatch {
        var pattern: EmailPattern
        var groups: [String: String]
        /// `nil` for informational mail.
        var status: AlertStatus?
    }

    static let groupNames = ["type", "state", "host", "service", "id", "title", "region"]

    static func matchTool(_ patterns: [EmailPattern], subject: String, body: String) throws(Rejection) -> ToolMatch? {
        let trimmed = subject.trimmingWhitespace()
        for pattern in patterns {
            guard let subjectRegex = compile(pattern.subject), let match = try? subjectRegex.wholeMatch(in: trimmed)
            else { continue }
            var groups: [String: String] = [:]
            for name in groupNames {
                if let value = match.output[name]?.substring { groups[name] = String(value).trimmingWhitespace() }
            }
            for (name, value) in labelledLines(body, pattern.bodyFields)
            where groups[name] == nil || pattern.bodyWins.contains(name) {
                groups[name] = value
            }
            for bodyPattern in pattern.body {
                guard let regex = compile(bodyPattern), let bodyMatch = try? regex.firstMatch(in: body) else {
                    continue
                }
                for name in groupNames where groups[name] == nil || pattern.bodyWins.contains(name) {
                    if let value = bodyMatch.output[name]?.substring {
                        groups[name] = String(value).trimmingWhitespace()
                    }
                }
            }
            return ToolMatch(pattern: pattern, groups: groups, status: status(of: pattern, groups: groups))
        }
        return nil
    }

    /// The groups `fields` names, from the body's first 40 lines of the form `Label: VALUE` (the value's first word).
    /// Reads bytes and stops after those lines, whatever the body's length; the label is at most 40 bytes.
    static func labelledLines(_ body: String, _ fields: [String: String]) -> [(group: String, value: String)] {
        guard !fields.isEmpty else { return [] }
        var text = body
        return text.withUTF8 { bytes in
            var found: [(group: String, value: String)] = []
            var lineStart = 0
            var lines = 0
            while lineStart < bytes.count, lines < 40 {
                let lineEnd = bytes.firstIndex(of: 0x0A, from: lineStart) ?? bytes.count
                let line = bytes[lineStart..<lineEnd]
                lineStart = lineEnd + 1
                lines += 1
                guard let colon = line.prefix(40).firstIndex(of: UInt8(ascii: ":")),
                    let label = String(validating: line[..<colon], as: UTF8.self)?.trimmingWhitespace(),
                    let group = fields[label]
                else { continue }
                let value = line[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
                    .prefix { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
                if let word = String(validating: value, as: UTF8.self), !word.isEmpty { found.append((group, word)) }
            }
            return found
        }
    }

    static func status(of pattern: EmailPattern, groups: [String: String]) -> AlertStatus? {
        func lookup(_ word: String) -> AlertStatus? {
            let lower = word.lowercased()
            return pattern.statusWords.first { lower.contains($0.word) }?.status
        }
        let resolved = groups["state"].map { pattern.resolvingStates.contains($0.lowercased()) } ?? false
        if let type = groups["type"]?.nonEmpty {
            // Informational mail (no status for its type) stays so; otherwise a state that means "over" wins.
            guard let status = lookup(type) else { return nil }
            return resolved && status != .acknowledged ? .resolved : status
        }
        if resolved { return .resolved }
        if let fixed = pattern.fixedStatus { return fixed }
        if let state = groups["state"]?.nonEmpty, !pattern.statusWords.isEmpty { return lookup(state) }
        return .firing
    }

    /// Patterns are case-sensitive, as tools' templates are; a pattern opts into case-insensitivity with `(?i)`.
    /// Compiled patterns by source text. Compiling a Swift `Regex` costs more than decoding a whole mail, and the
    /// same few patterns serve every message; a pattern that does not compile is remembered as `nil`.
    private static let compiled = Mutex<[String: CompiledPattern]>([:])

    /// A compiled regex, shared between threads. `Regex<AnyRegexOutput>` is not `Sendable` only because its output
    /// type is not; the program is immutable once built and its lazy lowering is initialized atomically.
    private final class CompiledPattern: @unchecked Sendable {
        let regex: Regex<AnyRegexOutput>?
        init(_ pattern: String) { regex = try? Regex(pattern) }
    }

    static func compile(_ pattern: String) -> Regex<AnyRegexOutput>? {
        if let known = compiled.withLock({ $0[pattern] }) { return known.regex }
        let entry = CompiledPattern(pattern)
        compiled.withLock { cache in
            // Patterns come from the configuration; the bound only guards against a caller generating them.
            if cache.count >= 1024 { cache.removeAll() }
            cache[pattern] = entry
        }
        return entry.regex
    }

    static func configuredKey(_ pattern: String?, subject: String, body: String) throws(Rejection) -> String? {
        guard let pattern else { return nil }
        guard let regex = compile(pattern) else {
            throw Rejection(.invalidPayload, "email: dedup pattern does not compile")
        }
        for text in [subject, body] {
            if let match = try? regex.firstMatch(in: text), let key = match.output["key"]?.substring {
                return String(key).trimmingWhitespace().nonEmpty
            }
        }
        return nil
    }

    /// Severity from a tool's state word (CRITICAL, WARNING, DOWN, …).
    static func mailSeverity(_ state: String?) -> Severity? {
        switch state?.lowercased() {
        case "crit", "critical", "down", "disaster": .critical
        case "unreach", "unreachable", "high": .high
        case "warn", "warning", "average": .medium
        case "unknown", "unkn": .low
        default: nil
        }
    }
}

public import Normalizer

/// Which dead letters a `dlq` or `replay` command works on. Every set condition must hold; an empty filter takes
/// every letter.
public struct DeadLetterFilter: Sendable, Hashable, CustomStringConvertible {
    /// Letters written at or after this time.
    public var since: Timestamp?
    /// Letters written before this time.
    public var until: Timestamp?
    /// Reason codes (any of them).
    public var reasons: Set<String> = []
    /// Stages (any of them).
    public var stages: Set<String> = []
    /// Targets (any of them).
    public var targets: Set<String> = []
    /// A dedup key or record key, matched exactly.
    public var key: String?

    /// Creates a filter that takes every letter.
    public init() {}

    /// Whether `record` passes.
    public func matches(_ record: DeadLetterRecord) -> Bool {
        if let since, let at = record.writtenAt, at < since { return false }
        if let until, let at = record.writtenAt, at >= until { return false }
        if !reasons.isEmpty, !reasons.contains(record.reason) { return false }
        if !stages.isEmpty, !stages.contains(record.stage) { return false }
        if !targets.isEmpty, !targets.contains(record.target ?? "") { return false }
        if let key, record.dedupKey != key, record.keyText != key { return false }
        return true
    }

    /// Whether nothing is filtered.
    public var isEmpty: Bool { self == DeadLetterFilter() }

    /// The conditions in a stable spelling (part of the default replay group name).
    public var description: String {
        var parts: [String] = []
        if let since { parts.append("since=\(since.rfc3339)") }
        if let until { parts.append("until=\(until.rfc3339)") }
        if !reasons.isEmpty { parts.append("reason=\(reasons.sorted().joined(separator: ","))") }
        if !stages.isEmpty { parts.append("stage=\(stages.sorted().joined(separator: ","))") }
        if !targets.isEmpty { parts.append("target=\(targets.sorted().joined(separator: ","))") }
        if let key { parts.append("key=\(key)") }
        return parts.isEmpty ? "all letters" : parts.joined(separator: " ")
    }

    /// Parses `--since`/`--until`: an RFC 3339 time, a date (`2026-11-30`, midnight UTC), or a duration before
    /// `now` (`90m`, `2h`, `7d`).
    public static func parseTime(_ text: String, now: Timestamp) -> Timestamp? {
        if let time = Timestamp(rfc3339: text) { return time }
        if let time = Timestamp(rfc3339: text + "T00:00:00Z") { return time }
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = amount
        case "m": seconds = amount * 60
        case "h": seconds = amount * 3600
        case "d": seconds = amount * 86_400
        default: return nil
        }
        return Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - seconds * 1000)
    }
}

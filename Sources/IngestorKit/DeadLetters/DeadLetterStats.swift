public import Normalizer
public import Pipeline

/// Counts of the letters in a dead-letter topic, by reason, stage, target and hour: what `ingestor dlq stats` shows.
public struct DeadLetterStats: Sendable {
    /// The topic.
    public var topic: String
    /// Letters counted.
    public private(set) var total = 0
    /// Records without dead-letter headers (not written by ingestor).
    public private(set) var foreign = 0
    /// Letters replay leaves alone (replayed `dead_letter.max_replays` times).
    public private(set) var parked = 0
    /// Letters that were replayed at least once before failing again.
    public private(set) var replayed = 0
    /// Letters cut to fit the dead-letter topic that lack part of their message (replay skips them).
    public private(set) var truncated = 0
    public private(set) var byReason: [String: Int] = [:]
    public private(set) var byStage: [String: Int] = [:]
    public private(set) var byTarget: [String: Int] = [:]
    /// Letters refused as `unrecognized_format`, by what was seen (the rejection message names the shape: "a JSON
    /// object with top-level keys […]"), so a sender nobody configured yet stands out from garbage.
    public private(set) var unrecognized: [String: Int] = [:]
    /// Per hour (UTC), keyed by `YYYY-MM-DDTHH:00Z`.
    public private(set) var byHour: [String: Int] = [:]
    public private(set) var oldest: Timestamp?
    public private(set) var newest: Timestamp?

    /// Empty counts for `topic`.
    public init(topic: String) {
        self.topic = topic
    }

    /// Counts one record.
    public mutating func add(_ record: DeadLetterRecord) {
        guard record.isDeadLetter else {
            foreign += 1
            return
        }
        total += 1
        byReason[record.reason, default: 0] += 1
        byStage[record.stage, default: 0] += 1
        byTarget[record.target ?? "-", default: 0] += 1
        if record.isParked { parked += 1 }
        if record.replayCount > 0 { replayed += 1 }
        if record.isIncomplete { truncated += 1 }
        if record.reason == "unrecognized_format" {
            let seen = record.field(.message) ?? "(no message)"
            // Shapes are bounded by the letters read; keep the table small all the same.
            if unrecognized[seen] != nil || unrecognized.count < 1000 { unrecognized[seen, default: 0] += 1 }
        }
        if let at = record.writtenAt {
            byHour[String(at.rfc3339.prefix(13)) + ":00Z", default: 0] += 1
            oldest = min(oldest ?? at, at)
            newest = max(newest ?? at, at)
        }
    }

    /// The counts as a table for people.
    public var table: String {
        var lines = ["dead letters in \(topic): \(total)"]
        if let oldest, let newest { lines[0] += " (\(oldest.rfc3339) … \(newest.rfc3339))" }
        if total == 0 {
            if foreign > 0 { lines.append("\(foreign) records without dead-letter headers") }
            return lines.joined(separator: "\n")
        }
        for (title, counts) in [
            ("reason", byReason), ("stage", byStage), ("target", byTarget), ("hour (UTC)", byHour),
        ] {
            lines.append("")
            let rows =
                title.hasPrefix("hour")
                ? counts.sorted { $0.key < $1.key } : counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            let width = max(title.count, rows.map(\.key.count).max() ?? 0)
            lines.append("  " + title.rightPadded(to: width) + "  count")
            for row in rows {
                lines.append(
                    "  " + row.key.rightPadded(to: width) + "  "
                        + String(row.value).leftPadded(to: 5)
                )
            }
        }
        if !unrecognized.isEmpty {
            lines.append("")
            lines.append("  unrecognized_format, by what was seen (most frequent first)")
            for (seen, count) in unrecognized.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }).prefix(10) {
                lines.append("  " + String(count).leftPadded(to: 5) + "  " + seen)
            }
        }
        lines.append("")
        lines.append("replayed before: \(replayed)   parked (replay leaves them alone): \(parked)")
        if truncated > 0 {
            lines.append(
                "truncated to fit the topic (replay skips them; the whole messages are in their source topics): \(truncated)"
            )
        }
        if foreign > 0 { lines.append("records without dead-letter headers: \(foreign)") }
        return lines.joined(separator: "\n")
    }

    /// The counts as JSON.
    public var jsonValue: JSONValue {
        func counts(_ map: [String: Int]) -> JSONValue {
            .object(JSONObject(map.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) }))
        }
        var object = JSONObject()
        object["topic"] = .string(topic)
        object["total"] = .number(String(total))
        object["parked"] = .number(String(parked))
        object["replayed"] = .number(String(replayed))
        object["truncated"] = .number(String(truncated))
        object["foreign"] = .number(String(foreign))
        object["oldest"] = oldest.map { .string($0.rfc3339) } ?? .null
        object["newest"] = newest.map { .string($0.rfc3339) } ?? .null
        object["byReason"] = counts(byReason)
        object["byStage"] = counts(byStage)
        object["byTarget"] = counts(byTarget)
        object["byHour"] = counts(byHour)
        object["unrecognized"] = counts(unrecognized)
        return .object(object)
    }
}

extension String {
    /// The string left-aligned in `width` columns.
    public func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// The string right-aligned in `width` columns.
    public func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

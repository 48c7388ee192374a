import Normalizer

/// Lets the first lines of one kind through in each interval and counts the rest by reason, so a flood (a storm of
/// malformed messages, every letter of an outage) writes a few lines and a summary instead of one line per message.
struct LogBudget: Sendable {
    /// Lines written one by one per interval.
    let perInterval: Int
    /// The interval.
    let interval: Duration
    private var windowStart: Timestamp?
    private var used = 0
    private var held: [String: Int] = [:]

    init(perInterval: Int, interval: Duration) {
        self.perInterval = perInterval
        self.interval = interval
    }

    /// What to do with one line of `reason` at `now`.
    struct Admission: Sendable, Hashable {
        /// Write the line itself.
        var write: Bool
        /// Lines held back in the interval that just ended, by reason, to report first.
        var heldBack: [String: Int]
    }

    /// Decides about one line.
    mutating func admit(_ reason: String, at now: Timestamp) -> Admission {
        let ended = flush(at: now)
        if windowStart == nil { windowStart = now }
        guard used < perInterval else {
            held[reason, default: 0] += 1
            return Admission(write: false, heldBack: ended)
        }
        used += 1
        return Admission(write: true, heldBack: ended)
    }

    /// Ends the interval if it is over (or at once with `force`, at shutdown), returning what it held back (empty
    /// when nothing was).
    mutating func flush(at now: Timestamp, force: Bool = false) -> [String: Int] {
        guard let start = windowStart, force || now.duration(since: start) >= interval else { return [:] }
        defer {
            windowStart = nil
            used = 0
            held = [:]
        }
        return held
    }
}

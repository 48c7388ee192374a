/// The severity scale every source is mapped onto; each decoder maps its source's words onto it.
public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Page now; outage or data loss.
    case critical
    /// Urgent, degraded service.
    case high
    /// Needs attention today; the default when the source says nothing.
    case medium
    /// Minor, can wait.
    case low
    /// Informational.
    case info

    private var rank: Int {
        switch self {
        case .critical: 4
        case .high: 3
        case .medium: 2
        case .low: 1
        case .info: 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    /// Maps the common vocabulary of severity words (Prometheus labels, PagerDuty, syslog-style levels)
    /// onto the scale, case-insensitively after trimming; `nil` when the word is not known.
    public init?(vocabulary word: String) {
        // Most sources already send the lowercase word: look that up before trimming and lowercasing a copy.
        guard let known = Self.vocabulary[word] ?? Self.vocabulary[word.trimmingWhitespace().lowercased()] else {
            return nil
        }
        self = known
    }

    /// Every known word, lowercased: one hash lookup per alert instead of comparing against each word.
    private static let vocabulary: [String: Severity] = {
        let words: [(Severity, [String])] = [
            (
                .critical,
                ["critical", "crit", "page", "emergency", "emerg", "fatal", "p1", "disaster", "sev0", "sev-0"]
            ),
            (.high, ["high", "major", "error", "err", "p2", "sev1", "sev-1"]),
            (.medium, ["warning", "warn", "medium", "average", "p3", "sev2", "sev-2"]),
            (.low, ["low", "minor", "p4", "sev3", "sev-3"]),
            (.info, ["info", "informational", "information", "notice", "none", "p5", "debug", "ok"]),
        ]
        return Dictionary(uniqueKeysWithValues: words.flatMap { severity, list in list.map { ($0, severity) } })
    }()
}

/// Where an alert stands at its source.
public enum AlertStatus: String, Sendable, Hashable, CaseIterable {
    /// The problem is happening.
    case firing
    /// Someone acknowledged the problem at the source.
    case acknowledged
    /// The problem is over.
    case resolved
}

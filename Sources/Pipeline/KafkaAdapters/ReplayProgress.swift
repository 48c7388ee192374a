/// What a replay has done so far.
public struct ReplayProgress: Sendable, Hashable {
    /// Records between the start and end offsets: what this replay reads.
    public var total = 0
    /// Records read so far.
    public var read = 0
    /// Letters fed through the pipeline (or onto `--to-topic`).
    public var fed = 0
    /// Letters the filters left out.
    public var skipped = 0
    /// Letters left alone because they failed `dead_letter.max_replays` replays already.
    public var parked = 0
    /// Records without dead-letter headers, left alone.
    public var foreign = 0
    /// Letters left alone because they were cut to fit the dead-letter topic and lack part of their message.
    public var truncated = 0
    /// The first ``truncatedLettersKept`` of those: address, what the letter keeps, and where the whole message is.
    public var truncatedLetters: [String] = []
    /// How many truncated letters ``truncatedLetters`` names.
    public static let truncatedLettersKept = 20
    /// Letters this kind of replay must leave alone (a delivery-stage letter in a replay through this process's
    /// own pipeline: only the owner of its key may decide it).
    public var leftAlone = 0
    /// The first ``truncatedLettersKept`` of those, with why.
    public var leftAloneLetters: [String] = []
    /// Fed letters whose events were all delivered, suppressed or ignored.
    public var completed = 0
    /// Fed letters that failed again and went back to the dead-letter topic.
    public var failedAgain = 0
    /// Of those, letters that reached the replay limit with this failure (parked from now on).
    public var parkedNow = 0
    /// Fed letters interrupted by a shutdown (replayed again next time).
    public var abandoned = 0
    /// Decisions by name: create, update, resolve, comment, reopen, suppress, ignore, stale, fold.
    public var decisions: [String: Int] = [:]
    /// Time since the replay started.
    public var elapsed: Duration = .zero

    /// Fed letters with an outcome.
    public var finished: Int { completed + failedAgain + abandoned }

    /// Records dealt with: finished, or left out.
    public var done: Int { finished + skipped + parked + foreign + truncated + leftAlone }

    /// The estimated time left, once there is something to go by.
    public var remaining: Duration? {
        guard done > 0, total > done else { return nil }
        return elapsed * (Double(total - done) / Double(done))
    }

    /// Decisions as `create=3 suppress=2`, most frequent first.
    public var decisionSummary: String {
        decisions.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key)=\($0.value)" }
            .joined(separator: " ")
    }
}

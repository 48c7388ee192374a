import ArgumentParser
import Foundation
import Normalizer
import Pipeline

/// The filters every dlq and replay command takes.
struct DLQFilterOptions: ParsableArguments {
    @Option(help: "Letters written at or after: an RFC 3339 time, a date, or an age like 90m, 6h, 7d.")
    var since: String?
    @Option(help: "Letters written before: same forms as --since.") var until: String?
    @Option(help: "Only this reason code, e.g. target_unavailable (repeatable).") var reason: [String] = []
    @Option(help: "Only this stage: normalize, correlate or deliver (repeatable).") var stage: [String] = []
    @Option(help: "Only letters for this target (repeatable).") var target: [String] = []
    @Option(help: "Only letters with this dedup key or record key.") var key: String?

    func validate() throws {
        let now = Timestamp(millisecondsSinceEpoch: 0)
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, DeadLetterFilter.parseTime(value, now: now) == nil {
                throw ValidationError("\(name) \(value): expected an RFC 3339 time, a date (2026-11-30) or an age (6h)")
            }
        }
        for value in stage where DeadLetter.Stage(rawValue: value) == nil {
            throw ValidationError("--stage \(value): expected normalize, correlate or deliver")
        }
    }

    var filter: DeadLetterFilter {
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        var filter = DeadLetterFilter()
        filter.since = since.flatMap { DeadLetterFilter.parseTime($0, now: now) }
        filter.until = until.flatMap { DeadLetterFilter.parseTime($0, now: now) }
        filter.reasons = Set(reason)
        filter.stages = Set(stage)
        filter.targets = Set(target)
        filter.key = key
        return filter
    }
}

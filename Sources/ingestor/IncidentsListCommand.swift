import ArgumentParser
import Foundation
import IngestorKit
import Normalizer
import Pipeline

struct IncidentsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Lists incident records: key, target, status, incident id, updates, last change, pending create.",
        discussion: """
            Newest change first. A key with a pending create had a call started whose answer was not recorded (a \
            crash, or a call in flight right now); the worker settles it by looking the incident up. A resolved \
            record with no incident id remembers a resolve that came before anything was open, so a late firing \
            of it is dropped as stale.
            """
    )

    enum Status: String, ExpressibleByArgument, CaseIterable {
        case open, resolved, pending, all
    }

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case table, json, ndjson
    }

    @OptionGroup var location: IncidentsLocation
    @Option(help: "open, resolved, pending (a create not settled) or all.") var status: Status = .open
    @Option(help: "Only records of this target (its name in metrics).") var target: String?
    @Option(help: "Only keys of this source: the dedup key's first part, e.g. am, cw, azure, grafana, email.")
    var source: String?
    @Option(help: "Only keys starting with this.") var keyPrefix: String?
    @Option(help: "Only records last changed longer ago than this age (90m, 6h, 7d).") var olderThan: String?
    @Option(help: "Only records last changed within this age.") var newerThan: String?
    @Option(help: "table, json (one array) or ndjson (one object per line).") var output: Output = .table
    @Option(help: "Print at most this many.") var limit: Int?

    func validate() throws {
        let zero = Timestamp(millisecondsSinceEpoch: 0)
        for (name, value) in [("--older-than", olderThan), ("--newer-than", newerThan)] {
            if let value, value.last?.isLetter != true || DeadLetterFilter.parseTime(value, now: zero) == nil {
                throw ValidationError("\(name) \(value): expected an age like 90m, 6h or 7d")
            }
        }
    }

    func run() async throws {
        let (view, _) = try await location.open()
        let now = Timestamp(millisecondsSinceEpoch: Int64(view.readAt.timeIntervalSince1970 * 1000))
        let olderCutoff = olderThan.flatMap { DeadLetterFilter.parseTime($0, now: now) }
        let newerCutoff = newerThan.flatMap { DeadLetterFilter.parseTime($0, now: now) }
        var records = try view.records(target: target).filter { record in
            switch status {
            case .open: guard record.status == .open else { return false }
            case .resolved: guard record.status == .resolved else { return false }
            case .pending: guard record.pending != nil else { return false }
            case .all: break
            }
            if let source, !record.dedupKey.hasPrefix(source + ":") { return false }
            if let keyPrefix, !record.dedupKey.hasPrefix(keyPrefix) { return false }
            let changed = record.updatedAt ?? record.createdAt
            if let olderCutoff, let changed, changed >= olderCutoff { return false }
            if let newerCutoff, let changed, changed < newerCutoff { return false }
            return true
        }
        if let limit { records = Array(records.prefix(max(0, limit))) }
        switch output {
        case .json:
            Console.out(JSONWriter.pretty(.array(records.map(IncidentsRendering.json))))
        case .ndjson:
            for record in records { Console.out(JSONWriter.string(IncidentsRendering.json(record))) }
        case .table:
            Console.out(
                [
                    "KEY".rightPadded(to: 44), "TARGET".rightPadded(to: 10), "STATUS".rightPadded(to: 9),
                    "UPDATES".rightPadded(to: 8), "CHANGED".rightPadded(to: 9), "PENDING".rightPadded(to: 16),
                    "INCIDENT",
                ].joined(separator: " ")
            )
            let ago = { (time: Timestamp) in
                IncidentsLocation.age(seconds: Double(now.millisecondsSinceEpoch - time.millisecondsSinceEpoch) / 1000)
                    + " ago"
            }
            for record in records {
                Console.out(
                    [
                        IncidentsRendering.cut(record.dedupKey, to: 44), IncidentsRendering.cut(record.target, to: 10),
                        record.status.rawValue.rightPadded(to: 9), String(record.updateCount).rightPadded(to: 8),
                        ((record.updatedAt ?? record.createdAt).map(ago) ?? "-").rightPadded(to: 9),
                        (record.pending.map { "\($0.action.rawValue) \(ago($0.since))" } ?? "-").rightPadded(to: 16),
                        record.externalID ?? "-",
                    ].joined(separator: " ")
                )
            }
            if records.isEmpty { Console.err("no incident records match") }
        }
    }
}

/// How the incidents commands print records.
enum IncidentsRendering {
    static func json(_ record: IncidentRecord) -> JSONValue {
        var object = JSONObject()
        object["dedupKey"] = .string(record.dedupKey)
        object["target"] = .string(record.target)
        object["status"] = .string(record.status.rawValue)
        object["externalId"] = record.externalID.map(JSONValue.string) ?? .null
        object["updateCount"] = .number(String(record.updateCount))
        object["createdAt"] = time(record.createdAt)
        object["updatedAt"] = time(record.updatedAt)
        object["resolvedAt"] = time(record.resolvedAt)
        object["lastEventAt"] = time(record.lastEventAt)
        object["lastPosition"] = record.lastPosition.map { .string($0.description) } ?? .null
        object["pending"] =
            record.pending.map {
                .object(JSONObject([("action", .string($0.action.rawValue)), ("since", .string($0.since.rfc3339))]))
            } ?? .null
        return .object(object)
    }

    static func time(_ value: Timestamp?) -> JSONValue {
        value.map { .string($0.rfc3339) } ?? .null
    }

    /// `text` padded to `width`, or cut with an ellipsis when longer.
    static func cut(_ text: String, to width: Int) -> String {
        text.count <= width ? text.rightPadded(to: width) : String(text.prefix(width - 1)) + "…"
    }
}

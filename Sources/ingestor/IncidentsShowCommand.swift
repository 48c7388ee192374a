import ArgumentParser
import Foundation
import IngestorKit
import KafkaIO
import Normalizer
import Pipeline

struct IncidentsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Prints one key's record: incident id, status, times, last applied event, pending create, members.",
        discussion: "KEY is the dedup key as `incidents list` prints it (a group's key for a source with group_by)."
    )

    @OptionGroup var location: IncidentsLocation
    @Flag(help: "Print JSON instead of text.") var json = false
    @Argument(help: "The dedup key.") var key: String

    func run() async throws {
        let (view, _) = try await location.open()
        let records = try view.records(dedupKey: key)
        guard !records.isEmpty else {
            Console.err(
                "no record for \(key): never seen, forgotten, or let go after state.resolved_retention (`incidents explain` shows its decisions, `incidents list --status all --key-prefix` finds similar keys)"
            )
            throw ExitCode.failure
        }
        for record in records {
            let members = try view.members(target: record.target, groupKey: record.dedupKey)
            if json {
                var object = IncidentsRendering.json(record)
                if case .object(var fields) = object {
                    fields["members"] = .array(
                        members.map { member in
                            .object(
                                JSONObject([
                                    ("memberKey", .string(member.memberKey)),
                                    ("status", .string(member.status.rawValue)),
                                    ("severity", .string(member.severity.rawValue)), ("title", .string(member.title)),
                                    ("firstSeen", .string(member.firstSeen.rfc3339)),
                                    ("occurredAt", IncidentsRendering.time(member.occurredAt)),
                                ])
                            )
                        }
                    )
                    object = .object(fields)
                }
                Console.out(JSONWriter.pretty(object))
                continue
            }
            var lines = [
                "key:         \(record.dedupKey)",
                "target:      \(record.target)",
                "status:      \(record.status.rawValue)"
                    + (record.externalID == nil && record.status == .resolved
                        ? " (a resolve remembered before anything was open: a late firing is stale)" : ""),
                "incident:    \(record.externalID ?? "-")",
                "created:     \(record.createdAt?.rfc3339 ?? "-")",
                "changed:     \(record.updatedAt?.rfc3339 ?? "-")",
                "resolved:    \(record.resolvedAt?.rfc3339 ?? "-")",
                "last event:  \(record.lastEventAt?.rfc3339 ?? "-")"
                    + (record.lastPosition.map { " from \($0.description)" } ?? ""),
                "updates:     \(record.updateCount) since the create",
            ]
            if let pending = record.pending {
                lines.append(
                    "pending:     a \(pending.action.rawValue) started \(pending.since.rfc3339) with no answer recorded; the worker looks it up before anything else for this key"
                )
            } else {
                lines.append("pending:     -")
            }
            if !members.isEmpty {
                lines.append("members:     \(members.count)")
                for member in members {
                    lines.append(
                        "  \(member.status.rawValue.rightPadded(to: 9)) \(member.severity.rawValue.rightPadded(to: 8)) \(member.memberKey)  \(member.title)"
                    )
                }
            }
            Console.out(lines.joined(separator: "\n"))
        }
    }
}

struct IncidentsExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Tells one key's story: every decision with its reason, each incident call, and its dead letters.",
        discussion: """
            The decisions are the audit trail: the state file's (in-process worker), or the audit topic's (every \
            delivery-stage worker publishes its decisions there, kafka.audit_topic). Creates, updates, resolves and \
            comments are the target's answers (with the incident id); ignore, stale and fold say why nothing was \
            sent; forget and manual_resolve are `incidents forget|resolve`. Calls that failed for good are the \
            key's dead letters, read from dead_letter.topic. Repeats that changed nothing are only counted \
            (ingestor_decisions_total{decision="suppress"}), not kept per key.
            """
    )

    @OptionGroup var location: IncidentsLocation
    @Argument(help: "The dedup key.") var key: String

    func run() async throws {
        let (view, resolved) = try await location.open()
        var lines: [(at: Timestamp, text: String)] = []
        do {
            for decision in try await view.decisions(dedupKey: key, logger: IncidentsCommand.toolLogger) {
                var text = "\(decision.decision.rightPadded(to: 14)) \(decision.reason)"
                if let id = decision.externalID { text += "  [incident \(id)]" }
                if let origin = decision.origin { text += "  (\(origin))" }
                if decision.target != resolved.configuration?.target.name { text += "  target \(decision.target)" }
                lines.append((decision.at, text))
            }
        } catch let error as IncidentStateView.Unavailable {
            Console.err(error.description)
        }
        if let topic = resolved.deadLetterTopic, !resolved.servers.isEmpty {
            do {
                try await KafkaTopicReader.read(
                    topic: topic,
                    bootstrapServers: resolved.servers,
                    logger: IncidentsCommand.toolLogger
                ) { message in
                    let letter = DeadLetterRecord(message)
                    if letter.isDeadLetter, letter.dedupKey == key {
                        let action = letter.action.map { " \($0)" } ?? ""
                        let what = (letter.field(.message) ?? "").prefix(160)
                        lines.append(
                            (
                                letter.writtenAt ?? Timestamp(millisecondsSinceEpoch: 0),
                                "\("dead letter".rightPadded(to: 14)) \(letter.stage)\(action): \(letter.reason), \(what)  (dlq show \(letter.address))"
                            )
                        )
                    }
                    return true
                }
            } catch {
                Console.err("cannot read the dead-letter topic \(topic): \(error)")
            }
        }
        if let record = try view.records(dedupKey: key).first {
            Console.out(
                "\(key): \(record.status.rawValue)\(record.externalID.map { ", incident \($0)" } ?? "") at \(record.target)"
            )
        } else {
            Console.out("\(key): no record now")
        }
        guard !lines.isEmpty else {
            Console.err("nothing recorded for \(key): no decision (within state.audit_retention) and no dead letter")
            throw ExitCode.failure
        }
        for line in lines.sorted(by: { $0.at < $1.at }) {
            Console.out("\(line.at.rfc3339)  \(line.text)")
        }
    }
}

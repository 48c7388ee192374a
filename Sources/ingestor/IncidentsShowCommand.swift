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
            (ingestor_decisions_total{decision="suppress"}), not kept per key: to see why an alert was \
            suppressed, give it with --payload, and the command says which key it is and what the worker would \
            decide for it now, from the same state and rules:

              ingestor incidents explain --config ingestor.yaml --payload alert.json
            """
    )

    @OptionGroup var location: IncidentsLocation
    @Option(help: "An alert payload (a file, or - for standard input): explain each of its events' keys.")
    var payload: String?
    @Option(help: "The source topic whose route reads --payload (default the first of sources[]).") var topic: String?
    @Argument(help: "The dedup key (not with --payload).") var key: String?

    func validate() throws {
        if (key == nil) == (payload == nil) { throw ValidationError("give a KEY or --payload FILE") }
        if payload != nil, location.config == nil { throw ValidationError("--payload needs --config (its sources)") }
    }

    func run() async throws {
        let (view, resolved) = try await location.open()
        guard let payload else {
            if let key { try await explain(key, view: view, resolved: resolved) }
            return
        }
        guard let configuration = resolved.configuration else { throw ExitCode.failure }
        guard
            let source = topic.map({ topic in configuration.sources.first { $0.topic == topic } })
                ?? configuration.sources.first
        else {
            Console.err("\(location.config ?? "the configuration") has no source with topic \(topic ?? "")")
            throw ExitCode(ExitStatus.badConfiguration)
        }
        let bytes: [UInt8]
        do {
            bytes = Array(
                payload == "-"
                    ? FileHandle.standardInput.readDataToEndOfFile()
                    : try Data(contentsOf: URL(fileURLWithPath: payload))
            )
        } catch {
            Console.err("cannot read \(payload): \(error.localizedDescription)")
            throw ExitCode.failure
        }
        let events: [NormalizedEvent]
        do {
            events = try Normalizer(limits: configuration.limits).normalize(
                NormalizerInput(payload: bytes, headers: [], origin: source.topic, recordID: payload),
                route: source.route
            )
        } catch {
            Console.out("\(payload): rejected, \(error.code.rawValue): \(error.message) (it would be dead-lettered)")
            return
        }
        if events.isEmpty { Console.out("\(payload): no alert in it (a test notification or an empty group)") }
        let pipeline = configuration.pipeline
        let now = Timestamp(millisecondsSinceEpoch: Int64(view.readAt.timeIntervalSince1970 * 1000))
        for (index, original) in events.enumerated() {
            var event = original
            if let grouping = pipeline.groupings[source.topic] { event.dedupKey = grouping.groupKey(for: original) }
            let record = try view.records(dedupKey: event.dedupKey).first { $0.target == configuration.target.name }
            let decision = Correlator.decide(event, record: record, reopenWindow: pipeline.reopenWindow, now: now)
            Console.out(
                "event \(index): \(event.dedupKey) (\(original.status.rawValue), \(original.severity.rawValue): \(original.title))"
            )
            Console.out("  now: \(decision.name), \(decision.reason)")
            if case .send(let command) = decision, command.action == .update, pipeline.minUpdateInterval > .zero {
                Console.out(
                    "  (updates of one key are at least \(pipeline.minUpdateInterval) apart: a newer one within that time replaces it)"
                )
            }
            try await explain(event.dedupKey, view: view, resolved: resolved, quietWhenEmpty: true)
            Console.out("")
        }
    }

    /// Prints the key's record line and its timeline.
    private func explain(
        _ key: String,
        view: IncidentStateView,
        resolved: IncidentsLocation.Resolved,
        quietWhenEmpty: Bool = false
    ) async throws {
        var lines: [(at: Timestamp, text: String)] = []
        do {
            for decision in try await view.decisions(dedupKey: key, logger: IncidentsCommand.toolLogger) {
                var text = "\(decision.decision.rightPadded(to: 14)) \(decision.reason)"
                if let id = decision.externalID { text += "  [incident \(id)]" }
                if let origin = decision.origin { text += "  (\(origin))" }
                if let name = resolved.configuration?.target.name, decision.target != name {
                    text += "  target \(decision.target)"
                }
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
            if quietWhenEmpty { return }
            Console.err("nothing recorded for \(key): no decision (within state.audit_retention) and no dead letter")
            throw ExitCode.failure
        }
        for line in lines.sorted(by: { $0.at < $1.at }) {
            Console.out("\(line.at.rfc3339)  \(line.text)")
        }
    }
}

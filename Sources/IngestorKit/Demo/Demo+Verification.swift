import Foundation
import IncidentAPIFakes
import KafkaIO
import Logging
import Normalizer
import Pipeline

extension Demo {
    /// Checks the outcome against the workload's expectation: at the API, in the dead-letter topic, in the
    /// committed offsets.
    static func verify(
        workload: DemoWorkload,
        finished: Bool,
        stats: PipelineStats,
        api: FakeIncidentAPIServer,
        cluster: EmbeddedKafkaCluster,
        logger: Logger,
        elapsed: Duration,
        apiURL: String,
        statePath: String
    ) async throws -> Report {
        let expected = workload.expectation
        var checks: [Check] = []
        func check(_ name: String, _ passed: Bool, _ detail: String) {
            checks.append(Check(name: name, passed: passed, detail: detail))
        }
        check(
            "every message reached a final outcome",
            finished,
            "\(stats.messagesFinished) of \(workload.messages.count + stats.eventsWritten): \(workload.messages.count) raw messages and the \(stats.eventsWritten) events they became"
        )

        let incidents = api.ledger.incidents
        let byKey = Dictionary(grouping: incidents, by: { $0.externalReference ?? "" })
        let duplicates = byKey.values.filter { $0.count > 1 }.count
        check(
            "one incident per alert",
            incidents.count == expected.incidents && Set(byKey.keys) == expected.allKeys,
            "\(incidents.count) incidents for \(expected.incidents) alerts"
        )
        check("no duplicate tickets", duplicates == 0, "\(duplicates) keys with more than one incident")
        let resolvedKeys = Set(incidents.filter(\.isResolved).compactMap(\.externalReference))
        check(
            "resolved alerts resolved, others open",
            resolvedKeys == expected.resolvedKeys,
            "\(resolvedKeys.count) resolved, expected \(expected.resolves)"
        )
        check(
            "updates only for real changes",
            stats.updated == expected.updates,
            "\(stats.updated) updates, expected \(expected.updates)"
        )

        let letters = try await readDeadLetters(cluster: cluster, logger: logger)
        var reasons: [String: Int] = [:]
        for letter in letters { reasons[letter.header(DeadLetter.Field.reason.rawValue) ?? "?", default: 0] += 1 }
        check(
            "malformed messages dead-lettered with their reason",
            reasons == expected.deadLetterReasons,
            reasons.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        )
        let documented = letters.allSatisfy { letter in
            [DeadLetter.Field.stage, .reason, .message, .originalTopic, .originalPartition, .originalOffset, .attempts]
                .allSatisfy { letter.header($0.rawValue) != nil }
        }
        check(
            "dead letters carry the documented headers",
            documented && !letters.isEmpty,
            "\(letters.count) letters read back"
        )

        let (committed, end) = try await committedVersusEnd(
            topic: rawTopic,
            group: group,
            cluster: cluster,
            logger: logger
        )
        let events = try IngestorConfiguration.parse(
            yaml: configurationYAML(bootstrap: cluster.bootstrapServers, apiURL: apiURL, statePath: statePath),
            source: "(demo)",
            environment: ["DEMO_DEVREV_TOKEN": token]
        ).kafka
        let (eventsCommitted, eventsEnd) = try await committedVersusEnd(
            topic: events.resolvedEventsTopic,
            group: events.deliveryGroupID,
            cluster: cluster,
            logger: logger
        )
        check(
            "offsets committed to the end of every partition",
            committed == end && eventsCommitted == eventsEnd,
            "raw: committed \(committed), end \(end); events: committed \(eventsCommitted), end \(eventsEnd)"
        )

        let requests = api.ledger.requests
        return Report(
            produced: workload.messages.count,
            stats: stats,
            incidentsAtAPI: incidents.count,
            apiRequests: requests.count,
            injectedFaults: requests.filter { $0.status == 429 || $0.status >= 500 }.count,
            deadLettersByReason: reasons,
            checks: checks,
            elapsed: elapsed,
            bootstrapServers: cluster.bootstrapServers,
            apiURL: apiURL,
            deadLetterTopic: deadLetterTopic,
            statePath: statePath
        )
    }

    static func readDeadLetters(cluster: EmbeddedKafkaCluster, logger: Logger) async throws -> [KafkaMessage] {
        try await KafkaTopicReader.readAll(
            topic: deadLetterTopic,
            bootstrapServers: cluster.bootstrapServerList,
            logger: logger
        )
    }

    /// `group`'s committed offsets summed over `topic`'s partitions, and the sum of their end offsets.
    static func committedVersusEnd(
        topic: String,
        group: String,
        cluster: EmbeddedKafkaCluster,
        logger: Logger
    ) async throws -> (Int64, Int64) {
        let ends = try await KafkaTopicReader.endOffsets(
            topic: topic,
            bootstrapServers: cluster.bootstrapServerList,
            logger: logger
        )
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServerList, groupID: group),
            logger: logger
        )
        let committed = try await consumer.committed(Array(ends.keys)).reduce(Int64(0)) { $0 + max($1.offset, 0) }
        try await consumer.close()
        return (committed, ends.values.reduce(0, +))
    }

    /// The summary table.
    public static func summary(_ report: Report) -> String {
        let stats = report.stats
        var rows: [(String, String)] = [
            ("messages produced", "\(report.produced)"),
            ("records read (raw and events)", "\(stats.messagesConsumed)"),
            ("alert events normalized", "\(stats.eventsWritten + stats.eventsSkipped)"),
            ("events written to the events topic", "\(stats.eventsWritten)"),
            ("incidents created", "\(stats.created)"),
            ("incidents updated", "\(stats.updated)"),
            ("incidents resolved", "\(stats.resolved)"),
            ("repeats skipped (normalize stage)", "\(stats.eventsSkipped)"),
            ("duplicates suppressed", "\(stats.suppressed)"),
            ("resolves with nothing open", "\(stats.ignored)"),
            ("API calls (injected faults)", "\(report.apiRequests) (\(report.injectedFaults))"),
            ("retries", "\(stats.retries)"),
            ("dead letters", "\(stats.deadLetters)"),
            ("incidents at the API", "\(report.incidentsAtAPI)"),
            (
                "wall time",
                String(
                    format: "%.1f s",
                    Double(report.elapsed.components.seconds) + Double(report.elapsed.components.attoseconds) / 1e18
                )
            ),
        ]
        rows.append(
            contentsOf: report.deadLettersByReason.sorted { $0.key < $1.key }.map {
                ("  dead letter: \($0.key)", "\($0.value)")
            }
        )
        let width = rows.map(\.0.count).max() ?? 0
        var lines = ["", "Summary", String(repeating: "─", count: width + 12)]
        lines += rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
        lines += ["", "Checks"]
        lines += report.checks.map { "  \($0.passed ? "✔" : "✘") \($0.name) — \($0.detail)" }
        lines += [
            "",
            "Where to look (run `ingestor demo --hold` to keep these up after the summary)",
            "  dead letters: topic \(report.deadLetterTopic) at \(report.bootstrapServers), headers ingestor-dlq-*",
            "                kcat -b \(report.bootstrapServers.split(separator: ",").first ?? "") -t \(report.deadLetterTopic) -C -e -f '%h %s\\n'",
            "  incidents:    \(report.apiURL)/_mock/incidents and /_mock/requests",
            "  metrics:      GET /metrics on the worker's ops port (ops.port)",
            "  state:        \(report.statePath) — the decision audit trail:",
            "                sqlite3 \(report.statePath) 'SELECT dedup_key, decision, reason FROM decisions ORDER BY id'",
            "",
            report.passed ? "demo passed" : "demo FAILED: see the checks above",
        ]
        return lines.joined(separator: "\n")
    }
}

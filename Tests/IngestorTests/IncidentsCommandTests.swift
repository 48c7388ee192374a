import Foundation
import IncidentAPIFakes
import Normalizer
import Testing

/// `ingestor incidents` against running workers: the delivery stage's state read from the changelog (every worker's
/// partitions), the in-process worker's from its state file, and `resolve` / `forget` applied by the key's owner.
@Suite("Incidents command", .serialized)
struct IncidentsCommandTests {
    private static func incidents(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        let (status, out, err) = try await IngestorProcess(["incidents"] + arguments, environment: ["FLEET_TOKEN": ""])
            .finished()
        return (status, out, err)
    }

    private static func records(_ json: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]], "\(json)")
    }

    /// Two delivery-stage workers share the keys; `list` shows every key from the changelog, `show` and `explain`
    /// tell one key's incident and decisions, `resolve` marks one resolved without a call (its next firing opens a new
    /// incident), and `forget` drops another.
    @Test(.timeLimit(.minutes(4)))
    func readsEveryWorkersStateFromTheChangelogAndChangesItThroughTheOwner() async throws {
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "fleet-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let fleet = try WorkerFleet(api: api, baseURL: baseURL, rawPartitions: 4, eventsPartitions: 8)
            let first = try fleet.start()
            let second = try fleet.start()
            let workers = [first, second]
            let keys = (0..<6).map { "cli\($0)" }
            try await fleet.produce(
                keys.map { ($0, nil, WorkerFleet.alert($0, status: "firing", summary: "disk full")) }
            )
            try await fleet.waitFor("6 incidents", workers: workers) { api.ledger.incidents.count == 6 }
            let config = first.configPath

            let listed = try await Self.incidents(["list", "--config", config, "--output", "json"])
            #expect(listed.status == 0, "\(listed.err)")
            #expect(listed.err.contains("state: the changelog topic fleet.changelog"), "\(listed.err)")
            let open = try Self.records(listed.out)
            #expect(open.count == 6, "every worker's keys: \(listed.out)")
            let ids = Set(api.ledger.incidents.map(\.id))
            #expect(Set(open.compactMap { $0["externalId"] as? String }) == ids)
            let ndjson = try await Self.incidents(["list", "--config", config, "--output", "ndjson", "--source", "am"])
            #expect(ndjson.out.split(separator: "\n").count == 6, "\(ndjson.out) \(ndjson.err)")
            let none = try await Self.incidents(["list", "--config", config, "--older-than", "1h"])
            #expect(none.out.split(separator: "\n").count == 1 && none.err.contains("no incident records match"))

            let key = try #require(open.first?["dedupKey"] as? String)
            let id = try #require(open.first?["externalId"] as? String)
            let shown = try await Self.incidents(["show", "--config", config, key])
            #expect(shown.status == 0 && shown.out.contains("incident:    \(id)"), "\(shown.out) \(shown.err)")
            #expect(shown.out.contains("status:      open"))
            let explained = try await Self.incidents(["explain", "--config", config, key])
            #expect(explained.status == 0, "\(explained.err)")
            #expect(explained.out.contains("create") && explained.out.contains("[incident \(id)]"), "\(explained.out)")

            let resolved = try await Self.incidents([
                "resolve", "--config", config, key, "--reason", "closed by hand in the UI",
            ])
            #expect(resolved.status == 0, "\(resolved.out) \(resolved.err)")
            #expect(resolved.out.hasPrefix("manual_resolve: resolved by hand by "), "\(resolved.out)")
            #expect(resolved.out.contains("closed by hand in the UI"))
            #expect(api.ledger.incidents.first { $0.id == id }?.calls == ["create"], "no call to the target")
            let stillOpen = try Self.records(
                try await Self.incidents(["list", "--config", config, "--output", "json"]).out
            )
            #expect(stillOpen.count == 5)
            let story = try await Self.incidents(["explain", "--config", config, key]).out
            #expect(story.contains("manual_resolve") && story.hasPrefix("\(key): resolved, incident \(id)"), "\(story)")

            let other = try #require(open.last?["dedupKey"] as? String)
            let forgotten = try await Self.incidents([
                "forget", "--config", config, other, "--reason", "merged on the target",
            ])
            #expect(forgotten.status == 0 && forgotten.out.hasPrefix("forget: forgotten by hand"), "\(forgotten)")
            let gone = try await Self.incidents(["show", "--config", config, other])
            #expect(gone.status == 1 && gone.err.contains("no record for \(other)"), "\(gone)")
            let unknown = try await Self.incidents([
                "resolve", "--config", config, "am:nothing-here", "--reason", "test",
            ])
            #expect(unknown.status == 1 && unknown.out.contains("nothing is recorded for this key"), "\(unknown)")

            // The problem fires again with new content: the hand-resolved incident is left alone, a new one opens.
            let keyName = try #require(keys.first { key.hasSuffix($0) || key.contains($0) })
            try await fleet.produce([
                (
                    keyName, nil,
                    WorkerFleet.alert(keyName, status: "firing", summary: "disk full again", severity: "critical")
                )
            ])
            try await fleet.waitFor("a new incident for the hand-resolved key", workers: workers) {
                api.ledger.incidents.count == 7
            }
            #expect(api.ledger.incidents.first { $0.id == id }?.calls == ["create"])
            // The second to stop can find the group rebalancing after the first left: its final commit is refused and
            // it exits 1 (its records are read again; the chaos test shows nothing is lost or doubled that way).
            for worker in workers { _ = worker.terminate() }
        }
    }

    /// One in-process worker (`--stage all`): `list` reads its state file while it runs, and `resolve` goes through the raw topic.
    @Test(.timeLimit(.minutes(3)))
    func readsTheInProcessWorkersFileAndResolvesThroughIt() async throws {
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "fleet-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let fleet = try WorkerFleet(api: api, baseURL: baseURL, rawPartitions: 2, eventsPartitions: 2)
            let worker = try fleet.start(stages: ["all"])
            try await fleet.produce(
                (0..<3).map { ("file\($0)", nil, WorkerFleet.alert("file\($0)", status: "firing", summary: "cpu")) }
            )
            try await fleet.waitFor("3 incidents", workers: [worker]) { api.ledger.incidents.count == 3 }
            let listed = try await Self.incidents(["list", "--config", worker.configPath, "--output", "json"])
            #expect(listed.status == 0 && listed.err.contains("state: the file "), "\(listed.err)")
            let open = try Self.records(listed.out)
            #expect(open.count == 3)
            let key = try #require(open.first?["dedupKey"] as? String)
            let resolved = try await Self.incidents([
                "resolve", "--config", worker.configPath, key, "--reason", "done by hand",
            ])
            #expect(resolved.status == 0 && resolved.out.hasPrefix("manual_resolve"), "\(resolved)")
            let story = try await Self.incidents(["explain", "--config", worker.configPath, key]).out
            #expect(story.contains(" create ") && story.contains("manual_resolve"), "\(story)")
            #expect(api.ledger.incidents.allSatisfy { $0.calls == ["create"] })

            // Why was that repeat suppressed? The payload itself, explained against the worker's state.
            let other = try #require(open.compactMap { $0["dedupKey"] as? String }.first { $0 != key })
            let payloadPath = fleet.directory.appendingPathComponent("repeat.json").path
            try Data(WorkerFleet.alert(String(other.dropFirst("am:".count)), status: "firing", summary: "cpu"))
                .write(to: URL(fileURLWithPath: payloadPath))
            let why = try await Self.incidents(["explain", "--config", worker.configPath, "--payload", payloadPath])
            #expect(why.status == 0, "\(why)")
            #expect(why.out.contains("event 0: \(other) (firing, "), "\(why.out)")
            #expect(why.out.contains("now: suppress, duplicate: nothing a person would care about changed"))
            #expect(why.out.contains("\(other): open, incident "), "\(why.out)")
            let resolvedPayload = fleet.directory.appendingPathComponent("resolved.json").path
            try Data(WorkerFleet.alert(String(key.dropFirst("am:".count)), status: "firing", summary: "cpu"))
                .write(to: URL(fileURLWithPath: resolvedPayload))
            let reopened = try await Self.incidents([
                "explain", "--config", worker.configPath, "--payload", resolvedPayload,
            ])
            #expect(reopened.out.contains("now: create, firing again after it was resolved"), "\(reopened.out)")
            #expect(worker.terminate() == 0, "\(worker.log.suffix(2000))")
            let stopped = try await Self.incidents([
                "list", "--config", worker.configPath, "--status", "all", "--output", "json",
            ])
            #expect(try Self.records(stopped.out).count == 3)
        }
    }

    @Test func explainsWhyItCannotReadAndTakesNoFileThatIsNotThere() async throws {
        let missing = try await Self.incidents(["list", "--state", "/nonexistent/state.sqlite"])
        #expect(missing.status == 1 && missing.err.contains("no state file at /nonexistent/state.sqlite"), "\(missing)")
        let unreachable = try await Self.incidents([
            "list", "--from", "changelog", "--bootstrap-servers", "127.0.0.1:1", "--changelog-topic", "x.changelog",
        ])
        #expect(unreachable.status == 1 && unreachable.err.contains("cannot read the changelog topic x.changelog"))
    }
}

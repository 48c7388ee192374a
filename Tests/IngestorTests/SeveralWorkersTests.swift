import Foundation
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Pipeline
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several workers as one: the delivery stage's state owned by events partition, kept in the changelog, restored by
/// whoever takes a partition, and fenced against a worker that comes back from a pause.
@Suite("Several workers, one state", .serialized)
struct SeveralWorkersTests {
    /// Worker A opens the incidents and stops; worker B, with an empty state directory, takes the partitions and
    /// updates and resolves A's incidents without creating any.
    @Test(.timeLimit(.minutes(3)))
    func aWorkerWithAnEmptyDiskTakesOverFromTheChangelog() async throws {
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "fleet-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let fleet = try WorkerFleet(api: api, baseURL: baseURL)
            let keys = (0..<50).map { "restore\($0)" }
            try await fleet.produce(
                keys.map { ($0, nil, WorkerFleet.alert($0, status: "firing", summary: "disk full")) }
            )
            let first = try fleet.start()
            try await fleet.waitFor("50 incidents", workers: [first]) { api.ledger.incidents.count == 50 }
            try await Task.sleep(for: .seconds(2))
            #expect(first.terminate() == 0, "\(first.log.suffix(2000))")

            try await fleet.produce(
                keys.map {
                    (
                        $0, nil,
                        WorkerFleet.alert($0, status: "firing", summary: "disk full, and growing", severity: "critical")
                    )
                }
                    + keys.map {
                        (
                            $0, nil,
                            WorkerFleet.alert(
                                $0,
                                status: "resolved",
                                summary: "disk full, and growing",
                                severity: "critical"
                            )
                        )
                    }
            )
            let second = try fleet.start()
            try await fleet.waitFor("every incident resolved", workers: [second]) {
                api.ledger.incidents.filter(\.isResolved).count == 50
            }
            try await Task.sleep(for: .seconds(1))
            #expect(second.terminate() == 0, "\(second.log.suffix(2000))")
            let incidents = api.ledger.incidents
            #expect(incidents.count == 50, "no incident created twice")
            #expect(incidents.allSatisfy { $0.calls == ["create", "update", "resolve"] }, "\(incidents.map(\.calls))")
            #expect(second.log.contains("changelog records read"), "the second worker restored from the changelog")
        }
    }

    /// A worker paused past its session timeout (SIGSTOP) loses its partitions to another; when it comes back its
    /// late changelog writes are fenced: a third worker restoring from the changelog sees exactly the new owner's state.
    @Test(.timeLimit(.minutes(4)))
    func aPausedWorkerThatComesBackCannotOverwriteTheNewOwnersState() async throws {
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "fleet-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let fleet = try WorkerFleet(api: api, baseURL: baseURL, rawPartitions: 2, eventsPartitions: 4)
            let keys = (0..<20).map { "zombie\($0)" }
            try await fleet.produce(keys.map { ($0, nil, WorkerFleet.alert($0, status: "firing", summary: "slow")) })
            let zombie = try fleet.start()
            try await fleet.waitFor("20 incidents", workers: [zombie]) { api.ledger.incidents.count == 20 }
            try await Task.sleep(for: .seconds(2))

            // The API acts on each update and then holds its answer: the zombie's calls are in flight when it stops.
            api.setAnswerDelay(.seconds(4))
            let before = api.ledger.requests.count
            try await fleet.produce(
                keys.map { ($0, nil, WorkerFleet.alert($0, status: "firing", summary: "slower", severity: "critical")) }
            )
            try await fleet.waitFor("updates in flight", workers: [zombie]) { api.ledger.requests.count >= before + 5 }
            WorkerFleet.signal(zombie, SIGSTOP)
            api.setAnswerDelay(.zero)

            let owner = try fleet.start()
            try await fleet.waitFor("the new owner to take every partition", workers: [owner]) {
                owner.log.components(separatedBy: "restored fleet.events[").count - 1 >= 4
            }
            try await fleet.waitFor("every incident updated", workers: [owner]) {
                api.ledger.incidents.allSatisfy { $0.calls.contains("update") }
            }
            // Back from the pause: its answers arrive, it writes what they changed, then learns it lost the partitions.
            WorkerFleet.signal(zombie, SIGCONT)
            try await Task.sleep(for: .seconds(8))
            _ = zombie.terminate()
            try await Task.sleep(for: .seconds(2))
            #expect(owner.terminate() == 0, "\(owner.log.suffix(2000))")

            // A third worker restores everything from the changelog alone.
            let auditor = try fleet.start(stages: ["deliver"])
            try await fleet.waitFor("the auditor to restore every partition", workers: [auditor]) {
                auditor.log.components(separatedBy: "restored fleet.events[").count - 1 >= 4
            }
            try await Task.sleep(for: .seconds(1))
            #expect(auditor.terminate() == 0)
            // Whether the zombie wrote at all after its partitions moved is a race on its waking: the answers waiting
            // in its sockets are applied (and written, then fenced) or its consumer learns of the revocation first
            // (and the writes are refused at home). Most runs see the first; a CI run saw the second. Either way the
            // state below must be the new owner's; PartitionedStateStoreTests covers the fencing itself every time.
            print(
                "zombie: late writes fenced on restore: \(auditor.log.contains("of an owner fenced by a newer claim"))"
            )
            let ownerState = try SQLiteIncidentStateStore(
                path: fleet.directory.appendingPathComponent("worker-2/state.sqlite").path,
                now: Timestamp(millisecondsSinceEpoch: 0)
            )
            let auditorState = try SQLiteIncidentStateStore(
                path: fleet.directory.appendingPathComponent("worker-3/state.sqlite").path,
                now: Timestamp(millisecondsSinceEpoch: 0)
            )
            for key in keys {
                let expected = try await ownerState.record(target: "devrev", dedupKey: "am:\(key)")
                let restored = try await auditorState.record(target: "devrev", dedupKey: "am:\(key)")
                #expect(
                    restored != nil && restored == expected,
                    "\(key): \(String(describing: restored)) vs \(String(describing: expected))"
                )
            }
            #expect(api.ledger.incidents.count == 20, "no second ticket")
        }
    }

    /// A key's resolve that reaches the events topic before an older firing of the same key (they came in on
    /// different raw partitions) leaves no incident: the resolve is remembered with its event time, and the late
    /// firing is dropped as stale.
    @Test(.timeLimit(.minutes(3)))
    func aResolveAheadOfAnOlderFiringFromAnotherRawPartitionOpensNothing() async throws {
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "fleet-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let fleet = try WorkerFleet(api: api, baseURL: baseURL, rawPartitions: 2, eventsPartitions: 4)
            let keys = (0..<50).map { "order\($0)" }
            // The resolves come in on raw partition 1 and are through before the firings arrive on partition 0.
            try await fleet.produce(keys.map { ($0, 1, WorkerFleet.alert($0, status: "resolved", summary: "late")) })
            let worker = try fleet.start()
            try await fleet.waitFor("every resolve seen", workers: [worker]) {
                worker.log.components(separatedBy: "resolved with nothing open").count - 1 >= keys.count
            }
            try await fleet.produce(keys.map { ($0, 0, WorkerFleet.alert($0, status: "firing", summary: "late")) })
            try await fleet.waitFor("every late firing dropped", workers: [worker]) {
                worker.log.components(separatedBy: "stale event for am:order").count - 1 >= keys.count
            }
            try await Task.sleep(for: .seconds(1))
            #expect(worker.terminate() == 0, "\(worker.log.suffix(2000))")
            #expect(api.ledger.incidents.isEmpty, "no incident nobody would resolve: \(api.ledger.incidents.count)")
        }
    }
}

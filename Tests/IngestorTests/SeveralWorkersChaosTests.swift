import Foundation
import IncidentAPIFakes
import KafkaIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The measurement the partitioned delivery stage was built against: three workers in one group, one killed with
/// `kill -9`, a fourth joining and one paused past its session timeout, with every alert's records spread over
/// random raw partitions. One worker on the same input opens exactly one incident per alert; so must the fleet.
///
/// What it found on the way: a paused worker's creates going out after its partitions moved (``FreezeGuard``), and
/// a restore that applied a key's delete and re-creation in one batch ending without the key (the in-memory cache
/// applied deletes after writes). Before those fixes, 501–529 incidents for 500 alerts and a few dozen never resolved.
@Suite("Several workers: chaos", .serialized)
struct SeveralWorkersChaosTests {
    static let keys = 500
    static let perSecond = 100
    static let burst = 20

    @Test(.timeLimit(.minutes(6)))
    func threeWorkersAKillAJoinAndAPauseStillMakeOneIncidentPerAlert() async throws {
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "fleet-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let fleet = try WorkerFleet(api: api, baseURL: baseURL, rawPartitions: 4, eventsPartitions: 8)
            let keys = (0..<Self.keys).map { "chaos\($0)" }
            var random = SystemRandomNumberGenerator()
            func spread(_ status: String, _ summary: String, _ severity: String) -> [(String, Int32?, [UInt8])] {
                keys.map {
                    (
                        $0, Int32.random(in: 0..<4, using: &random),
                        WorkerFleet.alert($0, status: status, summary: summary, severity: severity)
                    )
                }
            }
            let rate = "{per_second: \(Self.perSecond), burst: \(Self.burst)}"
            try await fleet.produce(spread("firing", "disk full", "warning"))
            var workers = [try fleet.start(rateLimit: rate)]
            try await Task.sleep(for: .seconds(1))
            workers.append(try fleet.start(rateLimit: rate))
            workers.append(try fleet.start(rateLimit: rate))

            try await fleet.waitFor("a third of the incidents", workers: workers) {
                api.ledger.incidents.count >= Self.keys / 3
            }
            workers[0].kill9()
            workers.append(try fleet.start(rateLimit: rate))
            try await fleet.waitFor("two thirds of the incidents", workers: workers) {
                api.ledger.incidents.count >= 2 * Self.keys / 3
            }
            // Past its session timeout: its partitions move while it is stopped, and it comes back believing it
            // still owns them.
            WorkerFleet.signal(workers[1], SIGSTOP)
            try await fleet.produce(spread("firing", "disk full, and growing", "critical"))
            try await Task.sleep(for: .seconds(15))
            WorkerFleet.signal(workers[1], SIGCONT)
            try await fleet.waitFor("every alert's incident", timeout: .seconds(150), workers: workers) {
                api.ledger.incidents.count >= Self.keys
            }
            try await fleet.produce(spread("resolved", "disk full, and growing", "critical"))
            do {
                try await fleet.waitFor("every incident resolved", timeout: .seconds(150), workers: workers) {
                    api.ledger.incidents.filter(\.isResolved).count >= Self.keys
                }
            } catch {
                try await Self.dumpChangelog(fleet)
                print("OPEN \(api.ledger.incidents.filter { !$0.isResolved }.map { $0.externalReference ?? "?" })")
                throw error
            }
            try await Task.sleep(for: .seconds(3))
            for worker in workers.dropFirst() { _ = worker.terminate() }

            // Every raw record accounted for: the group committed each raw partition to its end, and nothing was
            // dead-lettered (every record here is a valid alert).
            let checker = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    bootstrapServers: fleet.cluster.bootstrapServerList,
                    groupID: "fleet"
                ),
                logger: e2eLogger
            )
            let raw = (Int32(0)..<4).map { KafkaTopicPartition(topic: "fleet.raw", partition: $0) }
            let committed = try await checker.committed(raw)
            try await checker.close()
            let admin = try KafkaAdmin(bootstrapServers: fleet.cluster.bootstrapServerList, logger: e2eLogger)
            for entry in committed {
                let end = try await admin.watermarks(entry.topicPartition).high
                #expect(entry.offset == end, "\(entry.topicPartition) committed to \(entry.offset) of \(end)")
            }
            let letters = try await KafkaTopicReader.readAll(
                topic: "fleet.dlq",
                bootstrapServers: fleet.cluster.bootstrapServerList,
                logger: e2eLogger
            )
            #expect(
                letters.isEmpty,
                "no dead letters: \(letters.prefix(3).map { $0.header("ingestor-dlq-reason") ?? "?" })"
            )

            let incidents = api.ledger.incidents
            let requests = api.ledger.requests.filter { !$0.path.hasPrefix("/_mock") }
            let creates = requests.filter { $0.path.hasSuffix("incidents.create") && $0.status < 300 }
            // The most calls that started in any window of a given length, against the limit the workers share.
            let times = requests.map(\.receivedAt).sorted()
            func busiest(_ window: Duration) -> Int {
                var most = 0
                var start = 0
                for end in times.indices {
                    while times[end] - times[start] >= window { start += 1 }
                    most = max(most, end - start + 1)
                }
                return most
            }
            let busiestOne = busiest(.seconds(1))
            let busiestFive = busiest(.seconds(5))
            let fenced = workers.map { $0.log.components(separatedBy: "fenced").count - 1 }.reduce(0, +)
            print(
                """
                several workers, chaos: \(incidents.count) incidents for \(Self.keys) alerts, \(creates.count) creates, \
                \(incidents.filter(\.isResolved).count) resolved, \(requests.count) calls; busiest second \(busiestOne) \
                calls, busiest 5 s \(busiestFive) (limit \(Self.perSecond)/s, burst \(Self.burst)); fenced mentions in \
                logs: \(fenced)
                """
            )
            let byKey = Dictionary(grouping: incidents) { $0.externalReference ?? "?" }
            for (key, copies) in byKey where copies.count > 1 {
                print("DUP \(key): \(copies.map { "\($0.id) \($0.calls)" })")
            }
            print("FLEET \(fleet.directory.path)")
            #expect(incidents.count == Self.keys, "one incident per alert")
            #expect(creates.count == Self.keys, "no create made twice")
            #expect(incidents.allSatisfy { $0.isResolved }, "every incident resolved: none orphaned")
            // The workers run at the limit for most of the test, so any window holds about the limit's worth; what
            // it must not hold is more than the limit plus the burst, give or take scheduling: a process (the workers
            // or the fake, which stamps arrivals) that the loaded machine stalls for a moment sends or stamps the
            // calls of that moment together. Half a second of such jitter is allowed over 5 s. Measured alone:
            // 115-118 calls in the busiest second and 517 in the busiest 5 s for 100/s + 20. Four workers each
            // keeping the whole limit would make up to 2,000 in 5 s.
            #expect(
                busiestFive <= 5 * Self.perSecond + Self.burst + Self.perSecond / 2,
                "the workers together keep the target's rate limit"
            )
        }
    }

    /// Writes every changelog record (partition, offset, key, claim headers, value) to `changelog.txt` in the
    /// fleet's directory, for reading a failure after the cluster is gone.
    static func dumpChangelog(_ fleet: WorkerFleet) async throws {
        let records = try await KafkaTopicReader.readAll(
            topic: "fleet.changelog",
            bootstrapServers: fleet.cluster.bootstrapServerList,
            logger: e2eLogger
        )
        let lines = records.map { record in
            let headers = record.headers.map { "\($0.key)=\(String(decoding: $0.value ?? [], as: UTF8.self))" }
            return """
                \(record.topicPartition.partition)@\(record.offset) \(String(decoding: record.key ?? [], as: UTF8.self)) \
                \(headers.joined(separator: " ")) \(String(decoding: record.value, as: UTF8.self))
                """
        }
        try lines.joined(separator: "\n").write(
            to: fleet.directory.appendingPathComponent("changelog.txt"),
            atomically: true,
            encoding: .utf8
        )
        print("CHANGELOG \(fleet.directory.appendingPathComponent("changelog.txt").path)")
    }
}

import Foundation
import KafkaIO
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// `ingestor run` as a real process, attacked over real loopback sockets from 127.0.0.1 (and, for the total limit,
/// twenty more addresses) while a well-behaved sender on 127.0.0.2 posts alerts and `/metrics` is scraped.
///
/// Timeouts are short and limits small, so the protections show within seconds; the slack allowed for a busy
/// two-core CI machine is stated where it is used.
@Suite("Webhook intake under attack", .serialized)
struct IntakeAttackTests {
    static let token = "attack-test-token"
    /// Slack for the server's timers and this process's scheduling on a busy machine.
    static let slack: Duration = .milliseconds(1500)
    /// The longest `/metrics` may take, connection included.
    static let opsBudget: Duration = .milliseconds(50)

    /// A worker whose intake writes to a topic it does not consume, with `limits` (YAML lines under `intake`).
    final class Rig: Sendable {
        let cluster: EmbeddedKafkaCluster
        let worker: WorkerProcess
        let intakePort: Int
        let opsPort: Int
        let directory: URL
        /// One thread for the attack's sockets, another for the measurements, so measuring never waits on attacking.
        let attackers = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let measurers = MultiThreadedEventLoopGroup(numberOfThreads: 1)

        init(limits: [String]) async throws {
            cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
            try cluster.createTopic("alerts.raw", partitions: 1)
            try cluster.createTopic("intake.side", partitions: 1)
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("attack-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            setenv("ATTACK_TEST_TOKEN", IntakeAttackTests.token, 1)
            let config = directory.appendingPathComponent("ingestor.yaml")
            try """
            kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: attack}
            sources: [{topic: alerts.raw}]
            dead_letter: {topic: alerts.dlq}
            target: {kind: devrev, devrev: {base_url: "http://127.0.0.1:9", token: {env: ATTACK_TEST_TOKEN}, resolved_stage: x}}
            state: {path: ":memory:"}
            ops: {host: 127.0.0.1, port: 0}
            logging: {level: info}
            intake:
              host: 127.0.0.1
              port: 0
              \(limits.joined(separator: "\n  "))
              sources: [{name: am, topic: intake.side, auth: {bearer: {env: ATTACK_TEST_TOKEN}}}]
            """.write(to: config, atomically: true, encoding: .utf8)
            let worker = try WorkerProcess(
                configPath: config.path,
                logPath: directory.appendingPathComponent("worker.log").path
            )
            self.worker = worker
            do {
                intakePort = try await Self.port(in: worker, after: "webhook intake listening on 127.0.0.1:")
                opsPort = try await Self.port(in: worker, after: "ops server listening on 127.0.0.1:")
            } catch {
                _ = worker.terminate()
                throw error
            }
        }

        static func port(in worker: WorkerProcess, after text: String) async throws -> Int {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let range = worker.log.range(of: text),
                    let port = Int(worker.log[range.upperBound...].prefix { $0.isNumber })
                {
                    return port
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no '\(text)' in: \(worker.log)"])
        }

        /// Opens a connection to the intake from `source`; `nil` if the kernel refused it.
        func connect(from source: String) async -> RawConnection? {
            try? await RawConnection.open(from: source, to: intakePort, on: attackers)
        }

        /// An alert posted by the well-behaved sender on 127.0.0.2.
        func post() async throws -> Int {
            let body = #"{"version":"4","groupKey":"g","status":"firing","alerts":[]}"#
            return try await RawConnection.exchange(
                from: "127.0.0.2",
                to: intakePort,
                on: measurers,
                "POST /v1/ingest/am HTTP/1.1\r\nHost: ingestor\r\nAuthorization: Bearer \(IntakeAttackTests.token)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            ).status
        }

        /// `/metrics`, scraped from 127.0.0.2: its status, the time it took and the text.
        func scrape() async throws -> (status: Int, elapsed: Duration, text: String) {
            try await RawConnection.exchange(
                from: "127.0.0.2",
                to: opsPort,
                on: measurers,
                "GET /metrics HTTP/1.1\r\nHost: ingestor\r\nConnection: close\r\n\r\n"
            )
        }

        /// The value of a metric line that starts with `prefix`, from a scrape.
        static func value(_ prefix: String, in text: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap {
                Double($0.split(separator: " ").last!)
            }
        }

        func stop() async {
            _ = worker.terminate()
            try? await attackers.shutdownGracefully()
            try? await measurers.shutdownGracefully()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Runs `body` against a fresh ``Rig`` with `limits`, and stops the worker however `body` ends.
    static func withRig(limits: [String], _ body: (Rig) async throws -> Void) async throws {
        let rig = try await Rig(limits: limits)
        do {
            try await body(rig)
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    /// What the well-behaved side saw while an attack ran.
    struct Observations {
        var statuses: [Int] = []
        var scrapes: [(status: Int, elapsed: Duration)] = []
        var openConnections: [Double] = []
    }

    /// A flag the attack raises when it is over.
    final class Flag: Sendable {
        private let raised = Mutex(false)
        var isRaised: Bool { raised.withLock { $0 } }
        func raise() { raised.withLock { $0 = true } }
    }

    /// Scrapes `/metrics` every 100 ms and, when `posting`, posts an alert every 250 ms, until `done` is raised.
    static func observe(_ rig: Rig, posting: Bool = true, until done: Flag) async throws -> Observations {
        async let statuses: [Int] = {
            var statuses: [Int] = []
            while posting, !done.isRaised, !Task.isCancelled {
                statuses.append(try await rig.post())
                try await Task.sleep(for: .milliseconds(250))
            }
            return statuses
        }()
        var observations = Observations()
        while !done.isRaised, !Task.isCancelled {
            let scrape = try await rig.scrape()
            observations.scrapes.append((scrape.status, scrape.elapsed))
            if let open = Rig.value("ingestor_intake_open_connections", in: scrape.text) {
                observations.openConnections.append(open)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        observations.statuses = try await statuses
        return observations
    }

    /// Every post was accepted and every scrape answered within ``opsBudget``.
    static func expectServed(_ observations: Observations, _ phase: String, posting: Bool = true) {
        if posting {
            // Posts every 250 ms while the attack lasts (about 2 s at the shortest); on a loaded CI machine each post
            // waits longer for the broker's acknowledgement, so two is the least that still shows a sender served
            // while it lasted (CI runs saw four, and once two); every one of them must be a 202.
            #expect(observations.statuses.count >= 2, "\(phase): the sender kept posting")
            #expect(observations.statuses.allSatisfy { $0 == 202 }, "\(phase): \(observations.statuses)")
        }
        #expect(observations.scrapes.count >= 10, "\(phase): /metrics was sampled throughout")
        let slow = observations.scrapes.filter { $0.status != 200 || $0.elapsed > opsBudget }
        #expect(slow.isEmpty, "\(phase): /metrics over \(opsBudget) or failed: \(slow)")
    }
}

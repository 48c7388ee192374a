import Foundation
import IncidentAPI
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `ingestor run` as a child process, measured from outside: its CPU time and peak RSS come from `/proc`, so
/// the embedded broker and the fake API in the benchmark process do not count against it.
final class BenchWorker: @unchecked Sendable {
    let process = Process()
    let logPath: String
    let client: CurlHTTPClient
    private(set) var opsPort: Int?
    /// Whether this worker delivers the events it writes (the default two stages, or `--stage deliver`), so that a
    /// raw message is done only once its events are too.
    let deliversItsEvents: Bool

    /// Starts `ingestor` (the binary next to this one) with `yaml` as its configuration.
    /// - Parameter arguments: more arguments for `ingestor run` (`--stage normalize`).
    init(yaml: String, arguments: [String] = [], logger: Logger) throws {
        deliversItsEvents = !arguments.contains("--stage") || arguments.contains("deliver")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ingestor-bench-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configPath = directory.appendingPathComponent("ingestor.yaml").path
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        logPath = directory.appendingPathComponent("worker.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("ingestor")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchError("build the ingestor binary next to ingestor-bench first (swift build -c release)")
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = binary
        process.arguments = ["run", "--config", configPath] + arguments
        process.standardOutput = log
        process.standardError = log
        client = CurlHTTPClient(logger: logger)
        try process.run()
    }

    /// A directory for the worker's state file.
    static func statePath() -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("ingestor-bench-state-\(UInt32.random(in: 0...UInt32.max)).sqlite").path
    }

    /// Messages consumed and finished, from `/readyz`; `nil` until the ops server answers.
    /// Records read and finished (raw and events records together: both stages count theirs), and events the normalize
    /// stage wrote, from `/readyz`; `nil` until it answers.
    func progress() async -> (consumed: Int, finished: Int, eventsWritten: Int)? {
        if opsPort == nil {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = log.range(of: "ops server listening on 127.0.0.1:") {
                opsPort = Int(log[range.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let opsPort,
            let response = try? await client.execute(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:\(opsPort)/readyz")
            ),
            let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        else { return nil }
        return (
            (object["messages_consumed"] as? Int) ?? 0, (object["messages_finished"] as? Int) ?? 0,
            (object["events_written"] as? Int) ?? 0
        )
    }

    /// Partitions the worker holds now (raw and events topics together), from `/readyz`; `nil` until it answers.
    func partitionsHeld() async -> Int? {
        _ = await progress()
        guard let opsPort,
            let response = try? await client.execute(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:\(opsPort)/readyz")
            ),
            let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        else { return nil }
        return object["partitions_held"] as? Int
    }

    /// Waits until `finished` raw messages are done, and, with the two stages, every event they became; fails past
    /// `timeout` or when the worker exits. Neither stage finishes more than it was given, so the sum reaches
    /// `finished` plus the events written only once both are done.
    func waitUntilFinished(_ finished: Int, timeout: Duration) async throws -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + timeout
        var firstConsumed: ContinuousClock.Instant?
        while true {
            guard process.isRunning else { throw BenchError("the worker exited: \(logTail)") }
            guard ContinuousClock.now < deadline else { throw BenchError("the worker did not finish: \(logTail)") }
            if let progress = await progress() {
                if firstConsumed == nil, progress.consumed > 0 { firstConsumed = .now }
                let events = deliversItsEvents ? progress.eventsWritten : 0
                if progress.finished >= finished + events { return firstConsumed }
            }
            // Every poll costs the worker an HTTP request (about 0.4 ms of its CPU, measured with perf): every 100 ms keeps that under
            // half a percent of a storm's CPU and the end time within 0.1 s.
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The sum of a metric's samples on the worker's `/metrics` page (0 when absent).
    func metric(_ name: String) async -> Double {
        guard let opsPort,
            let response = try? await client.execute(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:\(opsPort)/metrics")
            )
        else { return 0 }
        return String(decoding: response.body, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }

    /// User + system CPU seconds the worker used so far.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return .nan }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The worker's peak resident set size (VmHWM), in MiB.
    var peakRSSMegabytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kilobytes / 1024
    }

    /// The worker's resident set size now (VmRSS), in MiB.
    var rssMegabytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kilobytes / 1024
    }

    /// SIGTERM, then waits; returns the exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        client.shutdown()
        return process.terminationStatus
    }

    var logTail: String { String(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(2000)) }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
}

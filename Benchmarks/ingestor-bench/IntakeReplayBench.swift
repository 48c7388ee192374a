import Foundation
import IncidentAPI
import IncidentAPIFakes
import KafkaIO
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The webhook intake and replay (issues 6 and 7), each against the `ingestor` binary as a child process.
extension IngestorBench {
    /// Webhook requests through `ingestor run`'s intake to Kafka's acknowledgement. The intake writes to a topic
    /// the worker does not consume, so the worker's CPU time is the intake's alone.
    func intake(requests: Int, concurrency: Int, logger: Logger) async throws {
        let (cluster, api) = try Self.rig(topic: "intake.raw", partitions: 8, logger: logger)
        try cluster.createTopic("intake.side", partitions: 8)
        try await api.withRunning { baseURL in
            setenv("BENCH_TOKEN", "bench", 1)
            setenv("BENCH_INTAKE_TOKEN", "intake-bench", 1)
            let worker = try BenchWorker(
                yaml: Self.workerYAML(
                    bootstrap: cluster.bootstrapServers,
                    topic: "intake.raw",
                    baseURL: baseURL,
                    rateLimit: "{per_second: 0}"
                )
                    + """

                    intake:
                      host: 127.0.0.1
                      port: 0
                      sources: [{name: am, topic: intake.side, key_pointer: /groupKey, auth: {bearer: {env: BENCH_INTAKE_TOKEN}}}]
                    """,
                logger: logger
            )
            defer { _ = worker.stop() }
            let port = try await worker.waitForLogPort("webhook intake listening on 127.0.0.1:")
            let url = "http://127.0.0.1:\(port)/v1/ingest/am"
            let client = CurlHTTPClient(logger: logger)
            defer { client.shutdown() }
            let post: @Sendable (Int) async throws -> Double = { index in
                let fingerprint = "in\(index)"
                let started = ContinuousClock.now
                let answer = try await client.execute(
                    HTTPRequest(
                        method: "POST",
                        url: url,
                        headers: [
                            HTTPHeader("Authorization", "Bearer intake-bench"),
                            HTTPHeader("Content-Type", "application/json"),
                        ],
                        body: Self.group([Self.alert(fingerprint, group: index % 50)], key: "g\(index % 50)")
                    )
                )
                guard answer.status == 202 else {
                    throw BenchError(
                        "intake answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))"
                    )
                }
                return (ContinuousClock.now - started).milliseconds
            }
            _ = try await post(-1)
            let cpuBefore = worker.cpuSeconds
            let start = ContinuousClock.now
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for sender in 0..<concurrency {
                    group.addTask {
                        var mine: [Double] = []
                        for index in stride(from: sender, to: requests, by: concurrency) {
                            mine.append(try await post(index))
                        }
                        return mine
                    }
                }
                var all: [Double] = []
                for try await part in group { all += part }
                return all.sorted()
            }
            let wall = (ContinuousClock.now - start).seconds
            let cpu = worker.cpuSeconds - cpuBefore
            let written = try await KafkaTopicReader.endOffsets(
                topic: "intake.side",
                bootstrapServers: cluster.bootstrapServerList,
                logger: logger
            )
            .values.reduce(0, +)
            func percentile(_ p: Double) -> Double {
                latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            }
            print(
                String(
                    format:
                        "intake           %8d requests, %d at a time  %6.2f s wall  %9.0f req/s  202 after the ack: p50 %.2f ms  p99 %.2f ms  worker %.1f µs cpu/request  peak RSS %.0f MiB  (%d records written)",
                    requests,
                    concurrency,
                    wall,
                    Double(requests) / wall,
                    percentile(0.5),
                    percentile(0.99),
                    cpu / Double(requests) * 1e6,
                    worker.peakRSSMegabytes,
                    written - 1
                )
            )
        }
    }

    /// `ingestor replay --direct` of `letters` dead letters (each a new alert whose create failed) against the fake,
    /// then the same replay again from the beginning, which must call nothing.
    func replay(letters: Int, logger: Logger) async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic("replay.raw", partitions: 1)
        try cluster.createTopic("replay.raw.dlq", partitions: 8)
        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "bench"), logger: logger)
        try await api.withRunning { baseURL in
            setenv("BENCH_TOKEN", "bench", 1)
            var producerConfiguration = Self.bulkProducer(cluster)
            producerConfiguration.overrides["compression.codec"] = "lz4"
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<letters {
                    if index >= 5_000 { try await group.next() }
                    group.addTask {
                        let fingerprint = "rp\(index)"
                        try await producer.send(
                            topic: "replay.raw.dlq",
                            key: Array(fingerprint.utf8),
                            value: Self.group([Self.alert(fingerprint, group: index % 100)], key: fingerprint),
                            headers: [
                                KafkaHeader(key: "ingestor-dlq-stage", text: "deliver"),
                                KafkaHeader(key: "ingestor-dlq-reason", text: "target_unavailable"),
                                KafkaHeader(key: "ingestor-dlq-target", text: "devrev"),
                                KafkaHeader(key: "ingestor-dlq-original-topic", text: "replay.raw"),
                                KafkaHeader(key: "ingestor-dlq-replay-count", text: "0"),
                            ]
                        )
                    }
                }
                try await group.waitForAll()
            }
            await producer.close(timeout: .seconds(10))
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("ingestor-bench-replay-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let configPath = directory.appendingPathComponent("ingestor.yaml").path
            try Self.workerYAML(
                bootstrap: cluster.bootstrapServers,
                topic: "replay.raw",
                baseURL: baseURL,
                rateLimit: "{per_second: 0}"
            )
            .write(toFile: configPath, atomically: true, encoding: .utf8)

            // Through its own pipeline into the fake (`--direct`): the default hands letters back to running workers,
            // which deliver them like any record.
            let first = try Self.runReplay(["--config", configPath, "--direct"])
            let incidents = api.ledger.incidents
            let references = Set(incidents.compactMap(\.externalReference))
            let calls = api.ledger.requests.count
            let again = try Self.runReplay(["--config", configPath, "--direct", "--from-beginning"])
            let newCalls = api.ledger.requests.count - calls
            print(
                String(
                    format:
                        "replay --direct  %8d letters  %6.2f s wall  %6.2f s cpu  %9.0f letters/s  %9.0f letters/cpu-s  %d incidents (%d duplicates)  again from the beginning: %.2f s, %d calls",
                    letters,
                    first.wall,
                    first.cpu,
                    Double(letters) / first.wall,
                    Double(letters) / first.cpu,
                    incidents.count,
                    incidents.count - references.count,
                    again.wall,
                    newCalls
                )
            )
            guard incidents.count == letters, references.count == letters, newCalls == 0 else {
                throw BenchError("replay: \(incidents.count) incidents for \(letters) letters, \(newCalls) calls again")
            }
        }
    }

    /// Runs `ingestor replay` with `arguments`; its wall time and CPU time (from the children's rusage).
    static func runReplay(_ arguments: [String]) throws -> (wall: Double, cpu: Double) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("ingestor")
        var before = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["replay"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let wall = (ContinuousClock.now - start).seconds
        guard process.terminationStatus == 0 else {
            throw BenchError("ingestor replay exited \(process.terminationStatus)")
        }
        var after = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &after)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        let cpu =
            seconds(after.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_utime) - seconds(before.ru_stime)
        return (wall, cpu)
    }
}

extension BenchWorker {
    /// The port the worker's log names after `prefix`, once it appears.
    func waitForLogPort(_ prefix: String, timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = log.range(of: prefix), let port = Int(log[range.upperBound...].prefix { $0.isNumber }) {
                return port
            }
            guard process.isRunning else { throw BenchError("the worker exited: \(logTail)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("the worker never logged \(prefix): \(logTail)")
    }
}

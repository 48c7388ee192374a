import Foundation
import KafkaIO
import Logging
import Normalizer

/// The normalize stage (issue 15): `ingestor run --stage normalize` on the storm input, next to kcat producing the
/// same records and the normalizer alone on them in this process.
extension IngestorBench {
    /// - Parameter workerCPU: the storm worker's CPU seconds on the same input in this run (the whole job in one
    ///   process), for the ratio.
    func stage(alerts: Int, keys: Int, workerCPU: Double?, logger: Logger) async throws {
        let perMessage = 10
        let messages = alerts / perMessage
        let groups = max(1, keys / perMessage)
        let payloads = Self.stormPayloads(groups: groups, perMessage: perMessage)
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic("stage.raw", partitions: 32)
        try cluster.createTopic("stage.raw.dlq", partitions: 1)
        try cluster.createTopic("stage.events", partitions: 32)
        try cluster.createTopic("kcat.raw", partitions: 32)
        try await Self.produceStorm(payloads, messages: messages, topic: "stage.raw", cluster: cluster, logger: logger)

        // kcat producing the same records, as a baseline for what writing them costs without us.
        let kcat = try kcatProduce(payloads, messages: messages, topic: "kcat.raw", cluster: cluster)

        let worker = try BenchWorker(
            yaml: """
                kafka: {bootstrap_servers: "\(cluster.bootstrapServers)", group_id: bench-stage, session_timeout: 10s, commit_interval: 500ms, events_topic: stage.events}
                sources: [{topic: stage.raw, format: alertmanager}]
                dead_letter: {topic: stage.raw.dlq}
                pipeline: {max_in_flight_events: 4000, drain_timeout: 5s}
                target: {kind: devrev, devrev: {base_url: "http://127.0.0.1:9", token: {env: HOME}, resolved_stage: x}}
                state: {path: ":memory:"}
                ops: {host: 127.0.0.1, port: 0}
                logging: {level: info}
                """,
            arguments: ["--stage", "normalize"],
            logger: logger
        )
        let start = ContinuousClock.now
        let firstConsumed = try await worker.waitUntilFinished(messages, timeout: .seconds(1800))
        let end = ContinuousClock.now
        let cpu = worker.cpuSeconds
        let rss = worker.peakRSSMegabytes
        let written = Int(await worker.metric("ingestor_events_written_total"))
        let skipped = Int(await worker.metric("ingestor_events_skipped_total"))
        let status = worker.stop()
        let events = try await KafkaTopicReader.readAll(
            topic: "stage.events",
            bootstrapServers: cluster.bootstrapServerList,
            logger: logger
        )
        print(
            String(
                format:
                    "normalize stage  %8d records (%d alerts) %6.2f s wall (%.2f s from first record)  stage %6.2f s cpu  %9.0f records/cpu-s  %9.0f alerts/cpu-s  peak RSS %.0f MiB",
                messages,
                alerts,
                (end - start).seconds,
                (end - (firstConsumed ?? start)).seconds,
                cpu,
                Double(messages) / cpu,
                Double(alerts) / cpu,
                rss
            )
        )
        print(
            "  events written \(written), skipped as repeats \(skipped), on the topic \(events.count); stage exit \(status)"
        )
        print(
            String(
                format: "  kcat -P of the same %d records: %.2f s wall, %.0f records/s",
                messages,
                kcat,
                Double(messages) / kcat
            )
                + (workerCPU.map {
                    String(
                        format:
                            "; the whole job in one process (worker storm above): %.2f s cpu, stage / whole job %.2fx",
                        $0,
                        cpu / $0
                    )
                } ?? "")
        )
        guard status == 0, written + skipped == alerts, events.count == written else {
            throw BenchError(
                "stage outcome wrong: \(written) written + \(skipped) skipped for \(alerts) alerts, \(events.count) on the topic"
            )
        }
    }

    /// Wall seconds `kcat -P` takes to produce the storm's records from a file.
    func kcatProduce(
        _ payloads: [[UInt8]],
        messages: Int,
        topic: String,
        cluster: EmbeddedKafkaCluster
    ) throws -> Double {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kcat-\(UUID()).txt")
        var bytes: [UInt8] = []
        for index in 0..<messages {
            let key = index % payloads.count
            bytes += Array("g\(key)\t".utf8) + payloads[key] + [0x0A]
        }
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        process.arguments = [
            "-P", "-b", cluster.bootstrapServers, "-t", topic, "-K", "\t", "-l", "-z", "lz4",
            "-X", "linger.ms=100", "-X", "batch.num.messages=10000", file.path,
        ]
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("kcat -P failed: \(process.terminationStatus)") }
        return (ContinuousClock.now - start).seconds
    }

    /// kcat (librdkafka's consumer with its defaults, no Swift) reading `records` records of `topic` from the start:
    /// the broker's pace, for the worker's drain times to be read against.
    /// - Returns: the wall seconds.
    func kcatDrain(topic: String, records: Int, bootstrap: String) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        process.arguments = [
            "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-c", String(records), "-q", "-f", "%p\n",
        ]
        process.standardOutput = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("kcat -C failed: \(process.terminationStatus)") }
        return (ContinuousClock.now - start).seconds
    }
}

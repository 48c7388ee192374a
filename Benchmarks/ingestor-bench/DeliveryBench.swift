import Foundation
import IncidentAPIFakes
import KafkaIO
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The delivery engine's scenarios (issue 5): each runs `ingestor run` as a child process against the embedded
/// cluster and the fake DevRev API in this process.
extension IngestorBench {
    static func workerYAML(
        bootstrap: String,
        topic: String,
        baseURL: String,
        rateLimit: String,
        librdkafka: String = "{}",
        pipeline: String = ""
    ) -> String {
        """
        kafka: {bootstrap_servers: "\(bootstrap)", group_id: bench-\(UInt32.random(in: 0...UInt32.max)), session_timeout: 10s, commit_interval: 500ms, librdkafka: \(librdkafka)}
        sources: [{topic: \(topic), format: alertmanager}]
        dead_letter: {topic: \(topic).dlq}
        pipeline: {lanes: 16, max_in_flight_events: 4000, drain_timeout: 5s\(pipeline)}
        target:
          kind: devrev
          devrev: {base_url: "\(baseURL)", token: {env: BENCH_TOKEN}, resolved_stage: "\(FakeDevRevAPI.stages["resolved"]!)"}
          rate_limit: \(rateLimit)
        state: {path: "\(BenchWorker.statePath())"}
        ops: {host: 127.0.0.1, port: 0}
        logging: {level: info}
        """
    }

    /// An embedded cluster with `topic` and its dead-letter topic, and the fake DevRev API (not yet running).
    static func rig(
        topic: String,
        partitions: Int,
        logger: Logger
    ) throws -> (EmbeddedKafkaCluster, FakeIncidentAPIServer) {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic(topic, partitions: partitions)
        try cluster.createTopic(topic + ".dlq", partitions: 1)
        return (cluster, FakeIncidentAPIServer(api: FakeDevRevAPI(token: "bench"), logger: logger))
    }

    static func alert(_ fingerprint: String, group: Int) -> String {
        #"{"status":"firing","labels":{"alertname":"A\#(group)","instance":"host-\#(fingerprint)","severity":"warning"},"annotations":{"summary":"A\#(group) on host-\#(fingerprint)"},"startsAt":"2026-11-24T08:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"\#(fingerprint)"}"#
    }

    static func group(_ alerts: [String], key: String) -> [UInt8] {
        Array(
            #"{"version":"4","groupKey":"\#(key)","status":"firing","receiver":"r","alerts":[\#(alerts.joined(separator: ","))]}"#
                .utf8
        )
    }

    /// A storm: `alerts` alerts over `keys` dedup keys, ten alerts per message, nearly all repeats. Each group's
    /// repeats are byte-identical, as Alertmanager re-sends an unchanged group; with `decodeEveryRepeat` the worker's
    /// repeat memory is off, so every message is parsed and decoded, as if every repeat differed in its bytes.
    /// - Returns: the worker's CPU seconds.
    @discardableResult
    func storm(alerts: Int, keys: Int, decodeEveryRepeat: Bool = false, logger: Logger) async throws -> Double {
        let perMessage = 10
        let messages = alerts / perMessage
        let groups = max(1, keys / perMessage)
        let (cluster, api) = try Self.rig(topic: "storm.raw", partitions: 32, logger: logger)
        return try await api.withRunning { baseURL in
            let payloads = Self.stormPayloads(groups: groups, perMessage: perMessage)
            try await Self.produceStorm(
                payloads,
                messages: messages,
                topic: "storm.raw",
                cluster: cluster,
                logger: logger
            )

            setenv("BENCH_TOKEN", "bench", 1)
            let worker = try BenchWorker(
                yaml: Self.workerYAML(
                    bootstrap: cluster.bootstrapServers,
                    topic: "storm.raw",
                    baseURL: baseURL,
                    rateLimit: "{per_second: 0}",
                    pipeline: decodeEveryRepeat ? ", repeat_memory_bytes: 0" : ""
                ),
                logger: logger
            )
            let start = ContinuousClock.now
            let firstConsumed = try await worker.waitUntilFinished(messages, timeout: .seconds(1800))
            let end = ContinuousClock.now
            let cpu = worker.cpuSeconds
            let rss = worker.peakRSSMegabytes
            let status = worker.stop()
            let incidents = api.ledger.incidents
            let distinct = Set(incidents.compactMap(\.externalReference)).count
            print(
                (decodeEveryRepeat ? "worker storm, every repeat decoded\n" : "")
                    + String(
                        format:
                            "worker storm     %8d alerts over %d keys  %6.2f s wall (%.2f s from first record consumed)  worker %6.2f s cpu  %9.0f alerts/worker-cpu-s  worker peak RSS %.0f MiB",
                        messages * perMessage,
                        groups * perMessage,
                        (end - start).seconds,
                        (end - (firstConsumed ?? start)).seconds,
                        cpu,
                        Double(messages * perMessage) / cpu,
                        rss
                    )
            )
            print(
                "  tickets opened \(incidents.count) (distinct keys \(distinct), duplicates \(incidents.count - distinct)), "
                    + "worker exit \(status)"
            )
            let kcat = try kcatDrain(topic: "storm.raw", records: messages, bootstrap: cluster.bootstrapServers)
            print(
                String(
                    format:
                        "  kcat -C drains the same %d records in %.2f s: the worker's drain (first record to last finished) took %.1f× as long",
                    messages,
                    kcat,
                    (end - (firstConsumed ?? start)).seconds / kcat
                )
            )
            // The figures mean nothing if the outcome is wrong: the run fails, in CI's quick mode too.
            guard incidents.count == groups * perMessage, distinct == incidents.count, status == 0 else {
                throw BenchError("storm outcome wrong: \(incidents.count) tickets for \(groups * perMessage) keys")
            }
            return cpu
        }
    }

    /// The storm's messages: one Alertmanager group per key group, `perMessage` alerts each.
    static func stormPayloads(groups: Int, perMessage: Int) -> [[UInt8]] {
        (0..<groups).map { group in
            Self.group(
                (0..<perMessage).map { Self.alert(String(group * perMessage + $0, radix: 16), group: group) },
                key: "g\(group)"
            )
        }
    }

    /// Produces `messages` storm messages to `topic`, each group's byte-identical repeats keyed by the group.
    static func produceStorm(
        _ payloads: [[UInt8]],
        messages: Int,
        topic: String,
        cluster: EmbeddedKafkaCluster,
        logger: Logger
    ) async throws {
        // lz4 keeps the mock cluster (about 5 MiB per partition) far from its limit: repeats compress well.
        var producerConfiguration = Self.bulkProducer(cluster)
        producerConfiguration.overrides["compression.codec"] = "lz4"
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        let produceStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<messages {
                if index >= 20_000 { try await group.next() }
                let key = index % payloads.count
                group.addTask {
                    try await producer.send(topic: topic, key: Array("g\(key)".utf8), value: payloads[key])
                }
            }
            try await group.waitForAll()
        }
        await producer.close(timeout: .seconds(30))
        print(
            String(
                format: "  produced %d messages (%d B each) in %.1f s",
                messages,
                payloads[0].count,
                (ContinuousClock.now - produceStart).seconds
            )
        )
    }

    /// Latency from the producer's send to the create request arriving at the fake, at a steady rate of new alerts.
    func latency(rate: Int, seconds: Int, logger: Logger) async throws {
        let (cluster, api) = try Self.rig(topic: "latency.raw", partitions: 8, logger: logger)
        try await api.withRunning { baseURL in
            setenv("BENCH_TOKEN", "bench", 1)
            let worker = try BenchWorker(
                yaml: Self.workerYAML(
                    bootstrap: cluster.bootstrapServers,
                    topic: "latency.raw",
                    baseURL: baseURL,
                    rateLimit: "{per_second: 0}",
                    // The mock cluster holds an empty Fetch for the whole fetch.wait.max.ms (500 ms by default)
                    // even when records arrive meanwhile; a real broker answers as soon as they do. A short wait
                    // makes the mock behave like the broker, so the figure is the worker's, not the mock's.
                    librdkafka: "{fetch.wait.max.ms: \"5\"}"
                ),
                logger: logger
            )
            defer { _ = worker.stop() }
            // The producer sends each record at once (no linger): its own batching delay is not the worker's.
            var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
            producerConfiguration.linger = .zero
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
            // Warm up: the group join (about 3 s on the mock) is not latency.
            try await producer.send(
                topic: "latency.raw",
                key: nil,
                value: Self.group([Self.alert("warm", group: 0)], key: "w")
            )
            _ = try await worker.waitUntilFinished(1, timeout: .seconds(60))

            let perTick = max(1, rate / 100)
            let ticks = seconds * 100
            let sent = Mutex<[String: ContinuousClock.Instant]>([:])
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for tick in 0..<ticks {
                    try await Task.sleep(until: start + .milliseconds(10 * tick), clock: .continuous)
                    for index in 0..<perTick {
                        let fingerprint = "lat\(tick * perTick + index)"
                        let payload = Self.group([Self.alert(fingerprint, group: 1)], key: fingerprint)
                        sent.withLock { $0["am:" + fingerprint] = .now }
                        group.addTask {
                            try await producer.send(topic: "latency.raw", key: Array(fingerprint.utf8), value: payload)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let produced = ticks * perTick
            let produceSeconds = (ContinuousClock.now - start).seconds
            _ = try await worker.waitUntilFinished(produced + 1, timeout: .seconds(300))
            await producer.close(timeout: .seconds(5))
            let sentAt = sent.withLock { $0 }
            var latencies: [Double] = []
            for request in api.ledger.requests where request.path == "/incidents.create" {
                guard let object = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any],
                    let sync = object["sync_metadata"] as? [String: Any],
                    let reference = sync["external_reference"] as? String,
                    let sentInstant = sentAt[reference]
                else { continue }
                latencies.append((request.receivedAt - sentInstant).milliseconds)
            }
            latencies.sort()
            func percentile(_ p: Double) -> Double {
                latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            }
            print(
                String(
                    format:
                        "latency          %8d alerts at %d/s (produced in %.1f s)  produce → request at the fake: p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d measured)",
                    produced,
                    rate,
                    produceSeconds,
                    percentile(0.5),
                    percentile(0.99),
                    latencies.last ?? .nan,
                    latencies.count
                )
            )
        }
    }

    /// Requests per second the fake sees against the configured limit, for a backlog of new alerts.
    func rateLimit(perSecond: Double, burst: Int, creates: Int, logger: Logger) async throws {
        let (cluster, api) = try Self.rig(topic: "rate.raw", partitions: 4, logger: logger)
        try await api.withRunning { baseURL in
            let producer = try KafkaProducer(configuration: Self.bulkProducer(cluster), logger: logger)
            for index in 0..<creates {
                let fingerprint = "rate\(index)"
                try await producer.send(
                    topic: "rate.raw",
                    key: Array(fingerprint.utf8),
                    value: Self.group([Self.alert(fingerprint, group: 2)], key: fingerprint)
                )
            }
            await producer.close(timeout: .seconds(10))
            setenv("BENCH_TOKEN", "bench", 1)
            let worker = try BenchWorker(
                yaml: Self.workerYAML(
                    bootstrap: cluster.bootstrapServers,
                    topic: "rate.raw",
                    baseURL: baseURL,
                    rateLimit: "{per_second: \(perSecond), burst: \(burst)}"
                ),
                logger: logger
            )
            _ = try await worker.waitUntilFinished(creates, timeout: .seconds(Int64(Double(creates) / perSecond) + 120))
            _ = worker.stop()
            let times = api.ledger.requests.filter { $0.path == "/incidents.create" }.map(\.receivedAt).sorted()
            guard let first = times.first, let last = times.last, times.count > burst else { return }
            var maxInWindow = 0
            var low = 0
            for high in times.indices {
                while times[high] - times[low] >= .seconds(1) { low += 1 }
                maxInWindow = max(maxInWindow, high - low + 1)
            }
            let steady = Double(times.count - burst) / (last - first).seconds
            print(
                String(
                    format:
                        "rate limit       %8d creates, limit %.0f/s burst %d: observed %.2f/s after the burst, at most %d in any 1 s window",
                    times.count,
                    perSecond,
                    burst,
                    steady,
                    maxInWindow
                )
            )
            // The gate's own bound is rate × 1 s + burst (checked exactly with a manual clock in TargetGateTests).
            // These are arrival times at the fake: a request delayed on its way (a busy CI machine, a debug build)
            // lands closer to the next one, so a window can hold one or two more than the gate let through in it.
            let bound = Int(perSecond.rounded(.up)) + burst
            guard maxInWindow <= bound + 2 else {
                throw BenchError(
                    "rate limit exceeded: \(maxInWindow) requests in one second, more than \(bound) + 2 for arrival jitter"
                )
            }
        }
    }

    /// The incident API down for a long stretch with a backlog waiting: the worker's resident memory, sampled
    /// from `/proc`, must stay flat; then the API comes back and the backlog drains.
    func outage(seconds: Int, backlog: Int, logger: Logger) async throws {
        let (cluster, api) = try Self.rig(topic: "outage.raw", partitions: 8, logger: logger)
        api.setDown(true)
        try await api.withRunning { baseURL in
            let producer = try KafkaProducer(configuration: Self.bulkProducer(cluster), logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<backlog {
                    if index >= 20_000 { try await group.next() }
                    let fingerprint = "out\(index)"
                    let payload = Self.group([Self.alert(fingerprint, group: 3)], key: fingerprint)
                    group.addTask {
                        try await producer.send(topic: "outage.raw", key: Array(fingerprint.utf8), value: payload)
                    }
                }
                try await group.waitForAll()
            }
            await producer.close(timeout: .seconds(10))
            setenv("BENCH_TOKEN", "bench", 1)
            let yaml = Self.workerYAML(
                bootstrap: cluster.bootstrapServers,
                topic: "outage.raw",
                baseURL: baseURL,
                rateLimit: "{per_second: 0}"
            ).replacingOccurrences(
                of: "drain_timeout: 5s}",
                with:
                    "drain_timeout: 5s, retry: {max_attempts: 1000, initial_backoff: 100ms, max_backoff: 1s, max_elapsed: 1h}}"
            )
            let worker = try BenchWorker(yaml: yaml, logger: logger)
            defer { _ = worker.stop() }
            // Let it join, fill its in-flight work and pause.
            var progress = await worker.progress()
            let joinDeadline = ContinuousClock.now + .seconds(60)
            while (progress?.consumed ?? 0) == 0, ContinuousClock.now < joinDeadline {
                try await Task.sleep(for: .milliseconds(100))
                progress = await worker.progress()
            }
            try await Task.sleep(for: .seconds(3))
            var samples: [Double] = []
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(Int64(seconds)) {
                samples.append(worker.rssMegabytes)
                try await Task.sleep(for: .seconds(1))
            }
            let during = await worker.progress()
            api.setDown(false)
            let back = ContinuousClock.now
            _ = try await worker.waitUntilFinished(backlog, timeout: .seconds(600))
            let drained = (ContinuousClock.now - back).seconds
            let failedCalls = api.ledger.requests.filter { $0.status >= 500 }.count
            print(
                String(
                    format:
                        "outage           API down %d s with %d alerts waiting: worker RSS %.0f MiB after 3 s, %.0f MiB at the end (min %.0f, max %.0f); %d messages taken in while down; %d failed calls; backlog drained in %.1f s after the API came back",
                    seconds,
                    backlog,
                    samples.first ?? .nan,
                    samples.last ?? .nan,
                    samples.min() ?? .nan,
                    samples.max() ?? .nan,
                    during?.consumed ?? -1,
                    failedCalls,
                    drained
                )
            )
            guard let first = samples.first, let peak = samples.max(), peak <= first * 1.25 + 5 else {
                throw BenchError("worker memory grew during the outage: \(samples)")
            }
        }
    }
}

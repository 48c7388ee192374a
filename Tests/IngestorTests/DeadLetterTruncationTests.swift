import Crypto
import Foundation
import IncidentAPIFakes
import KafkaIO
import Normalizer
import Pipeline
import Testing

/// Messages too large for a whole dead letter, with real processes (`ingestor run`, `dlq`, `replay`), the embedded
/// cluster and a fake DevRev API: the letter is written cut, says so, and the source partition moves on.
@Suite("Dead letters too large for the topic", .serialized)
struct DeadLetterTruncationTests {
    /// A payload of `size` bytes that is not JSON (an object that never closes): rejected at normalize.
    static func malformed(_ size: Int) -> [UInt8] {
        let head = Array(#"{"version":"4","status":"firing","junk":""#.utf8)
        return head + (0..<(size - head.count)).map { UInt8(ascii: "a") + UInt8($0 % 26) }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The committed offset of `alerts.raw[0]` for the worker's group.
    static func committed(_ cluster: EmbeddedKafkaCluster) async throws -> Int64 {
        let checker = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServerList,
                groupID: "replay-worker"
            ),
            logger: e2eLogger
        )
        let committed = try await checker.committed([KafkaTopicPartition(topic: "alerts.raw", partition: 0)])
        try await checker.close()
        return committed.first?.offset ?? -1
    }

    static func letters(_ cluster: EmbeddedKafkaCluster) async throws -> [KafkaMessage] {
        try await KafkaTopicReader.readAll(
            topic: "alerts.dlq",
            bootstrapServers: cluster.bootstrapServerList,
            logger: e2eLogger
        )
    }

    /// Checks a cut letter against the message it was cut from.
    static func expectCut(
        _ letter: KafkaMessage,
        of original: [UInt8],
        offset: Int64,
        reason: String,
        limit: String
    ) {
        let kept = letter.value.count
        #expect(kept < original.count, "\(reason): the value is cut")
        #expect(letter.value == Array(original.prefix(kept)), "\(reason): the value is the original's first bytes")
        #expect(letter.header("ingestor-dlq-reason") == reason)
        #expect(letter.header("ingestor-dlq-truncated") == limit)
        #expect(letter.header("ingestor-dlq-left-out") == "value")
        #expect(letter.header("ingestor-dlq-original-size") == String(original.count))
        #expect(
            letter.header("ingestor-dlq-original-sha256") == sha256(original),
            "\(reason): the whole value's digest"
        )
        #expect(letter.header("ingestor-dlq-original-topic") == "alerts.raw")
        #expect(letter.header("ingestor-dlq-original-partition") == "0")
        #expect(letter.header("ingestor-dlq-original-offset") == String(offset))
        #expect(letter.header("trace-id") == "t-\(offset)", "the original's own headers stay")
    }

    @Test(.timeLimit(.minutes(3)))
    func messagesOverTheProducersLimitAreCutAndThePartitionMovesOn() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 1)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        // Under the worker's 1 MiB payload limit but over librdkafka's 1,000,000-byte message.max.bytes once it
        // is a letter: rejected as invalid_json. And one over the payload limit: payload_too_large.
        let nearLimit = Self.malformed(1_000_044)
        let overLimit = Self.malformed(1_200_000)
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
        configuration.overrides["message.max.bytes"] = "2000000"
        let producer = try KafkaProducer(configuration: configuration, logger: e2eLogger)
        for (offset, value) in [nearLimit, overLimit, Array(ReplayTests.alert(1, status: "firing").utf8)].enumerated() {
            try await producer.send(
                topic: "alerts.raw",
                key: Array("k\(offset)".utf8),
                value: value,
                headers: [KafkaHeader(key: "trace-id", text: "t-\(offset)")]
            )
        }
        await producer.close(timeout: .seconds(5))

        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "replay-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let setup = try ReplayTests.Setup(bootstrap: cluster.bootstrapServers, baseURL: baseURL)
            setenv("REPLAY_TOKEN", "replay-token", 1)
            let worker = try WorkerProcess(
                configPath: setup.configPath,
                logPath: setup.directory.appendingPathComponent("worker.log").path
            )
            do {
                // The raw offset moves once the alert's event is on the events topic; its delivery follows.
                try await ReplayTests.waitFor("the partition to move past both letters and the alert") {
                    try await Self.committed(cluster) == 3 && api.ledger.incidents.count == 1
                }
            } catch {
                Issue.record("the worker's log: \(worker.log.suffix(4000))")
                throw error
            }
            #expect(worker.terminate() == 0, "graceful stop: \(worker.log.suffix(2000))")
            #expect(api.ledger.incidents.count == 1, "the alert behind them was delivered")
            #expect(worker.log.contains("cut to fit alerts.dlq (producer_limit)"), "\(worker.log.suffix(3000))")
            #expect(!worker.log.contains("dead-letter publish to alerts.dlq failed"), "no retry loop")

            let letters = try await Self.letters(cluster)
            try #require(letters.count == 2, "one letter each: \(letters.map(\.value.count))")
            Self.expectCut(letters[0], of: nearLimit, offset: 0, reason: "invalid_json", limit: "producer_limit")
            Self.expectCut(letters[1], of: overLimit, offset: 1, reason: "payload_too_large", limit: "producer_limit")
            let kept = DeadLetterFitting.valuePrefixes[0]
            for letter in letters {
                #expect(letter.value.count == kept, "the first prefix fits the producer's limit")
            }

            // What people see.
            let (_, list, _) = try await setup.run(["dlq", "list", "--config", setup.configPath])
            #expect(list.contains("[truncated: \(kept) of \(nearLimit.count) bytes]"), "\(list)")
            #expect(list.contains("[truncated: \(kept) of \(overLimit.count) bytes]"), "\(list)")
            let (showStatus, show, _) = try await setup.run(["dlq", "show", "--config", setup.configPath, "0:0"])
            #expect(showStatus == 0)
            #expect(
                show.contains("cut to fit   producer_limit: left out value (replay skips it"),
                "\(show.prefix(2000))"
            )
            #expect(show.contains("whole value  \(nearLimit.count) bytes, sha256 \(Self.sha256(nearLimit))"))
            #expect(
                show.contains(
                    "original payload (truncated: the first \(kept) of \(nearLimit.count) bytes; the whole message is at alerts.raw[0]@0)"
                )
            )
            let (_, stats, _) = try await setup.run(["dlq", "stats", "--config", setup.configPath, "--json"])
            #expect(try JSONParser().parse(Array(stats.utf8))["truncated"]?.int64 == 2, "\(stats)")
            let (exportStatus, export, _) = try await setup.run(["dlq", "export", "--config", setup.configPath])
            #expect(exportStatus == 0)
            let (valid, report) = try SchemaTests.validate(
                export,
                schema: repositoryRoot.appendingPathComponent("schemas/dead-letter.schema.json").path
            )
            #expect(valid == 0, "export matches schemas/dead-letter.schema.json: \(report)")

            // Replay leaves them alone and says where the whole messages are.
            let calls = api.ledger.requests.count
            let (replayStatus, replay, replayErr) = try await setup.run(["replay", "--config", setup.configPath])
            #expect(replayStatus == 0, "\(replay)\(replayErr)")
            #expect(replay.contains("truncated 2"), "\(replay)")
            #expect(
                replay.contains(
                    "0:0: truncated (producer_limit): value is the first \(kept) of \(nearLimit.count) bytes"
                )
            )
            #expect(replay.contains("the whole message is at alerts.raw[0]@0"), "\(replay)")
            #expect(replay.contains("the whole message is at alerts.raw[0]@1"), "\(replay)")
            #expect(api.ledger.requests.count == calls, "nothing was sent")
            #expect(try await Self.letters(cluster).count == 2, "and nothing failed again")
        }
    }

    /// The mock cluster refuses nothing for its size, so the broker's refusal is injected: the one Produce request
    /// the worker makes after the injection fails with MSG_SIZE_TOO_LARGE, as a topic with a `max.message.bytes`
    /// below the letter's size would answer.
    @Test(.timeLimit(.minutes(2)))
    func aLetterTheBrokerRefusesForItsSizeIsCutSmaller() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        try cluster.createTopic("alerts.raw", partitions: 1)
        try cluster.createTopic("alerts.dlq", partitions: 1)
        let fitsTheProducer = Self.malformed(300_000)
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList),
            logger: e2eLogger
        )
        try await producer.send(
            topic: "alerts.raw",
            key: Array("k0".utf8),
            value: fitsTheProducer,
            headers: [KafkaHeader(key: "trace-id", text: "t-0")]
        )
        await producer.close(timeout: .seconds(5))
        cluster.injectRequestErrors(.produce, [.messageSizeTooLarge])

        let api = FakeIncidentAPIServer(api: FakeDevRevAPI(token: "replay-token"), logger: e2eLogger)
        try await api.withRunning { baseURL in
            let setup = try ReplayTests.Setup(bootstrap: cluster.bootstrapServers, baseURL: baseURL)
            setenv("REPLAY_TOKEN", "replay-token", 1)
            let worker = try WorkerProcess(
                configPath: setup.configPath,
                logPath: setup.directory.appendingPathComponent("worker.log").path
            )
            try await ReplayTests.waitFor("the partition to move past the letter") {
                try await Self.committed(cluster) == 1
            }
            #expect(worker.terminate() == 0, "graceful stop: \(worker.log.suffix(2000))")
            #expect(worker.log.contains("cut to fit alerts.dlq (broker_limit)"), "\(worker.log.suffix(3000))")
            let letters = try await Self.letters(cluster)
            try #require(letters.count == 1, "the refused letter was not written: \(letters.map(\.value.count))")
            Self.expectCut(letters[0], of: fitsTheProducer, offset: 0, reason: "invalid_json", limit: "broker_limit")
            #expect(
                letters[0].value.count == DeadLetterFitting.valuePrefixes[0],
                "the first cut smaller than the refused letter"
            )
        }
    }
}

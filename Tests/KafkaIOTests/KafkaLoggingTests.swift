import KafkaIO
import Logging
import Testing

/// What librdkafka's errors look like in our logs.
@Suite("Kafka error logging")
struct KafkaLoggingTests {
    /// librdkafka reports a broker failure twice, as a log line and as an error event (see
    /// `rd_kafka_broker_set_error` in its rdkafka_broker.c); each must reach our log once, with its error code.
    @Test(arguments: ["producer", "consumer"])
    func aBrokerFailureIsLoggedOnceWithItsCode(client: String) async throws {
        let log = MemoryLogHandler.Store()
        // Nothing listens on port 1: every connection attempt is refused.
        if client == "producer" {
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: ["127.0.0.1:1"]),
                logger: log.logger
            )
            try await waitForFailures(log)
            await producer.close(timeout: .milliseconds(100))
        } else {
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(bootstrapServers: ["127.0.0.1:1"], groupID: "g-log"),
                logger: log.logger
            )
            try consumer.subscribe(topics: ["t-log"])
            let polling = Task {
                for try await _ in consumer.events(idleTicks: true) { if Task.isCancelled { break } }
            }
            try await waitForFailures(log)
            polling.cancel()
            try await consumer.close()
        }
        let problems = log.logged.filter { $0.level >= .warning }
        let refused = problems.filter { $0.message.contains("Connection refused") }
        #expect(!refused.isEmpty, "the refused connection is reported: \(problems)")
        let texts = problems.map { Self.report($0.message) }
        #expect(Set(texts).count == texts.count, "no failure twice: \(problems)")
        #expect(refused.allSatisfy { $0.error == "transport" }, "with librdkafka's error name: \(refused)")
    }

    /// A failure's own text, without what the log line or the error event put before it (`[thrd:…]: `,
    /// `librdkafka: `).
    static func report(_ message: String) -> Substring {
        var text = Substring(message)
        if text.hasPrefix("[thrd:"), let end = text.firstRange(of: "]: ") { text = text[end.upperBound...] }
        if text.hasPrefix("librdkafka: ") { text = text.dropFirst("librdkafka: ".count) }
        return text
    }

    /// Waits until librdkafka has reported the refused connection and that all brokers are down.
    func waitForFailures(_ log: MemoryLogHandler.Store) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if log.logged.contains(where: { $0.message.contains("brokers are down") }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        // A second report of the same failure would come right after the first.
        try await Task.sleep(for: .milliseconds(300))
    }
}

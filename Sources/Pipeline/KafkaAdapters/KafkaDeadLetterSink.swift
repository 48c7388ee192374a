public import KafkaIO

/// Publishes dead letters to a Kafka topic and returns only when the broker acknowledged them.
public struct KafkaDeadLetterSink: DeadLetterSink {
    private let producer: KafkaProducer
    /// The dead-letter topic.
    public let topic: String

    /// Creates a sink writing to `topic` through `producer` (idempotent, so broker-side retries never duplicate).
    public init(producer: KafkaProducer, topic: String) {
        self.producer = producer
        self.topic = topic
    }

    public var destination: String { topic }

    public func publish(_ letter: DeadLetter) async throws {
        try await producer.send(
            topic: topic,
            key: letter.key,
            value: letter.value,
            headers: letter.headers.map { KafkaHeader(key: $0.name, value: $0.value) }
        )
    }
}

public import KafkaIO
import Synchronization

/// Publishes dead letters to a Kafka topic and returns only when the broker acknowledged them.
///
/// A letter too large for the topic is cut to fit (``DeadLetterFitting``) instead of being refused again and
/// again: over the producer's `message.max.bytes` before it is sent, smaller again when the broker refuses it for
/// its size. The runner's retry loop then sees success and the source partition moves on; the letter says what it
/// left out and where the whole message is.
public final class KafkaDeadLetterSink: DeadLetterSink {
    private let producer: KafkaProducer
    private let instruments: PipelineInstruments?
    private let fitting: DeadLetterFitting
    /// The size of the largest letter the broker acknowledged: a refused letter no larger was refused for its batch.
    private let largestAcknowledged = Atomic<Int>(0)
    /// The dead-letter topic.
    public let topic: String

    /// Creates a sink writing to `topic` through `producer` (idempotent, so broker-side retries never duplicate).
    /// - Parameter instruments: where a cut letter is logged and counted.
    public init(producer: KafkaProducer, topic: String, instruments: PipelineInstruments? = nil) {
        self.producer = producer
        self.topic = topic
        self.instruments = instruments
        fitting = DeadLetterFitting(maxBytes: producer.maxMessageBytes) { letter in
            KafkaProducer.recordSize(key: letter.key, value: letter.value, headers: letter.kafkaHeaders)
        }
    }

    public var destination: String { topic }

    /// Publishes `letter`, cut as needed to fit.
    /// - Throws: ``KafkaError`` when the broker did not acknowledge it, or refused even the most cut letter.
    public func publish(_ letter: DeadLetter) async throws {
        try await send(letter).acknowledged()
    }

    /// Hands `letter` (cut to the producer's limit as needed) to the producer now; the receipt waits for the
    /// broker, and sends it cut smaller if the broker refuses it for its size.
    public func send(_ letter: DeadLetter) async throws -> SinkReceipt {
        guard let first = fitting.first(letter) else {
            throw KafkaError(
                .messageSizeTooLarge,
                "dead letter for \(letter.original.position) is over message.max.bytes (\(fitting.maxBytes)) even without its value, headers and key"
            )
        }
        let delivery = try await enqueue(first)
        return SinkReceipt { try await self.confirm(first, delivery) }
    }

    private func enqueue(_ letter: DeadLetter) async throws -> KafkaDelivery {
        try await producer.enqueue(topic: topic, key: letter.key, value: letter.value, headers: letter.kafkaHeaders)
    }

    /// Waits for the broker's answer to `sending`; a size refusal sends it again, cut smaller as needed.
    private func confirm(_ first: DeadLetter, _ firstDelivery: KafkaDelivery) async throws {
        var sending = first
        var delivery = firstDelivery
        var resends = 0
        while true {
            do {
                try await delivery.report()
                largestAcknowledged.max(fitting.size(sending), ordering: .relaxed)
                if let cut = sending.cut { instruments?.deadLetterCut(sending, cut: cut, topic: topic) }
                return
            } catch let error as KafkaError
                where error.code == .messageSizeTooLarge || error.code == .recordListTooLarge
            {
                switch fitting.afterBrokerRefusal(
                    of: sending,
                    largestAcknowledged: largestAcknowledged.load(ordering: .relaxed),
                    resends: resends
                ) {
                case .resend: resends += 1
                case .send(let smaller):
                    sending = smaller
                    resends = 0
                case .giveUp: throw error
                }
                delivery = try await enqueue(sending)
            }
        }
    }
}

extension DeadLetter {
    /// The record headers as Kafka headers.
    var kafkaHeaders: [KafkaHeader] { headers.map { KafkaHeader(key: $0.name, value: $0.value) } }
}

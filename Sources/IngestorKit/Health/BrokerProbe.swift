import KafkaIO
import Logging
import Normalizer
import Pipeline
import ServiceLifecycle
import Synchronization

/// Asks the cluster for the source topics' metadata every few seconds over the consumer's own connections: an
/// answer says a broker is reachable and how many partitions the worker's topics have, for `/readyz`.
final class BrokerProbe: Sendable {
    /// What the last checks found.
    struct Reading: Sendable, Hashable {
        /// When the probe started.
        var startedAt: Timestamp
        /// When a broker last answered, if one ever did.
        var lastAnswerAt: Timestamp?
        /// Partitions of the source topics, from the last answer.
        var partitions: Int = 0
        /// The last failure, if the last check failed.
        var lastError: String?
    }

    private let consumer: KafkaConsumer
    private let topics: [String]
    private let interval: Duration
    private let clock: any PipelineClock
    private let logger: Logger
    private let state: Mutex<Reading>

    init(consumer: KafkaConsumer, topics: [String], interval: Duration, clock: any PipelineClock, logger: Logger) {
        self.consumer = consumer
        self.topics = topics
        self.interval = interval
        self.clock = clock
        self.logger = logger
        state = Mutex(Reading(startedAt: clock.now()))
    }

    /// The latest reading.
    var reading: Reading { state.withLock { $0 } }

    /// One check: asks for metadata and records the answer or the failure.
    func check() async {
        do {
            let counts = try await consumer.partitionCounts(topics: topics, timeout: interval)
            let now = clock.now()
            let recovered = state.withLock { state in
                defer {
                    state.lastAnswerAt = now
                    state.partitions = counts.values.reduce(0, +)
                    state.lastError = nil
                }
                return state.lastError != nil
            }
            if recovered { logger.info("Kafka answers again") }
        } catch {
            let first = state.withLock { state in
                defer { state.lastError = "\(error)" }
                return state.lastError == nil
            }
            if first { logger.warning("no Kafka broker answered a metadata request: \(error)") }
        }
    }
}

/// Runs the ``BrokerProbe`` until shutdown.
struct BrokerProbeService: Service {
    let probe: BrokerProbe
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probe.check()
                try? await Task.sleep(for: interval)
            }
        }
    }
}

import KafkaIO
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Samples how far the worker's consumer groups are behind, as `ingestor_consumer_lag_records{topic,partition}`:
/// the records of each partition a consumer of this worker holds that lie past its group's committed offset (see
/// ``KafkaConsumer/lag(timeout:)``), so messages taken but not finished count as behind.
///
/// A worker reports only the partitions it holds: a partition given up loses its series at the next sample. When
/// the cluster does not answer, the last values stay (and one line says so) rather than dropping to nothing.
final class ConsumerLagSampler: Sendable {
    static let metric = "ingestor_consumer_lag_records"

    private let consumers: [KafkaConsumer]
    private let factory: any MetricsFactory
    private let timeout: Duration
    private let logger: Logger
    private let gauges = Mutex<[KafkaTopicPartition: Gauge]>([:])
    private let failing = Mutex(false)

    /// - Parameters:
    ///   - consumers: the worker's consumers (one per stage it runs).
    ///   - timeout: the bound of each request to the cluster.
    init(consumers: [KafkaConsumer], factory: any MetricsFactory, timeout: Duration, logger: Logger) {
        self.consumers = consumers
        self.factory = factory
        self.timeout = timeout
        self.logger = logger
    }

    /// Asks the cluster for every consumer's lag and records it; on a failure keeps the last values.
    func sample() async {
        var lags: [KafkaTopicPartition: Int64] = [:]
        for consumer in consumers {
            do {
                lags.merge(try await consumer.lag(timeout: timeout)) { $1 }
            } catch let error as KafkaError where error.code == .closed {
                return  // shutting down: the stage closed its consumer first
            } catch {
                let first = failing.withLock { failing in
                    defer { failing = true }
                    return !failing
                }
                if first { logger.info("consumer lag not sampled, \(Self.metric) keeps its last values: \(error)") }
                return
            }
        }
        if failing.withLock({ failing in
            defer { failing = false }
            return failing
        }) {
            logger.info("consumer lag is sampled again")
        }
        record(lags)
    }

    /// Sets one gauge per partition in `lags` and removes the series of partitions no longer in it.
    func record(_ lags: [KafkaTopicPartition: Int64]) {
        let gone = gauges.withLock { gauges in
            let gone = gauges.filter { lags[$0.key] == nil }
            for partition in gone.keys { gauges[partition] = nil }
            for (partition, lag) in lags {
                let gauge =
                    gauges[partition]
                    ?? Gauge(
                        label: Self.metric,
                        dimensions: [("topic", partition.topic), ("partition", String(partition.partition))],
                        factory: factory
                    )
                gauges[partition] = gauge
                gauge.record(lag)
            }
            return Array(gone.values)
        }
        for gauge in gone { gauge.destroy() }
    }
}

/// Runs the ``ConsumerLagSampler`` every `interval` until shutdown.
struct ConsumerLagService: Service {
    let sampler: ConsumerLagSampler
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sampler.sample()
                try? await Task.sleep(for: interval)
            }
        }
    }
}

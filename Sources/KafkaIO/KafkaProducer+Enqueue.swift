/// A record librdkafka has taken: await ``report()`` for the broker's acknowledgement.
public struct KafkaDelivery: Sendable {
    let promise: RDKafkaDeliveryPromise

    /// Waits for the broker's acknowledgement (returns at once when it already came). Await it once.
    /// - Throws: ``KafkaError`` when the record could not be delivered.
    @discardableResult
    public func report() async throws -> KafkaDeliveryReport {
        try await promise.wait()
    }
}

extension KafkaProducer {
    /// Hands one record to librdkafka now and returns without waiting for the broker.
    ///
    /// Records handed over one after the other to one partition reach it in that order (the producer is
    /// idempotent, so retries keep the order too): call this from one task, in order, and await the deliveries
    /// wherever. A full local queue is backpressure: it waits and retries, it never drops.
    /// - Parameter partition: a fixed partition, or `nil` to let the key decide.
    /// - Throws: ``KafkaError`` when librdkafka refused the record (closed producer, too large, unknown partition).
    public func enqueue(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = []
    ) async throws -> KafkaDelivery {
        while true {
            let promise = RDKafkaDeliveryPromise()
            switch try hand(topic: topic, partition: partition, key: key, value: value, headers: headers, promise) {
            case .enqueued:
                return KafkaDelivery(promise: promise)
            case .queueFull:
                try await Task.sleep(for: Self.queueFullBackoff)
            case .failed(let error):
                throw error
            }
        }
    }
}

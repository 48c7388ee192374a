import CKafka
import Logging
import Synchronization

/// Owns one librdkafka handle (`rd_kafka_t`) and destroys it in `deinit`.
///
/// - Important: `@unchecked Sendable` because librdkafka documents its client API as thread-safe: the calls made
///   through this type (poll, store, commit, pause, produce, metadata) may run concurrently from any thread. The
///   handle pointer never changes after `init` and is destroyed only in `deinit`, when no other reference exists.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer
    }

    let handle: OpaquePointer
    /// Must outlive `handle`; see ``RDKafkaContext``. Declared after `handle`, released after `deinit` runs.
    let context: RDKafkaContext
    let kind: Kind

    /// Creates a handle from librdkafka properties.
    /// - Parameter deliveryReports: for producers: route delivery reports and errors to librdkafka's background
    ///   thread, where ``rdKafkaBackgroundEventCallback`` completes the waiting sends.
    /// - Throws: ``KafkaError/Code/invalidConfiguration`` naming the property librdkafka refused.
    init(kind: Kind, properties: [String: String], logger: Logger) throws(KafkaError) {
        let context = RDKafkaContext(logger: logger)
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(.invalidConfiguration, "rd_kafka_conf_new failed")
        }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errorBuffer, errorBuffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(
                    .invalidConfiguration,
                    "librdkafka property \(key): \(String(errorBuffer: errorBuffer))"
                )
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        switch kind {
        case .consumer:
            rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalanceCallback)
        case .producer:
            rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR))
            rd_kafka_conf_set_background_event_cb(conf, rdKafkaBackgroundEventCallback)
        }
        guard
            let handle = rd_kafka_new(
                kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                conf,
                &errorBuffer,
                errorBuffer.count
            )
        else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(.invalidConfiguration, "rd_kafka_new: \(String(errorBuffer: errorBuffer))")
        }
        self.handle = handle
        self.context = context
        self.kind = kind
        switch kind {
        case .consumer:
            // Serve logs, errors and rebalances from rd_kafka_consumer_poll.
            _ = rd_kafka_poll_set_consumer(handle)
        case .producer:
            // Delivery reports and errors land on the main queue; forward it to the background thread that runs
            // rdKafkaBackgroundEventCallback, so no thread of ours has to poll.
            let main = rd_kafka_queue_get_main(handle)
            let background = rd_kafka_queue_get_background(handle)
            rd_kafka_queue_forward(main, background)
            rd_kafka_queue_destroy(main)
            rd_kafka_queue_destroy(background)
        }
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// The value of a configuration property of the running client, defaults included; `nil` when librdkafka
    /// knows no such property.
    func property(_ name: String) -> String? {
        guard let conf = rd_kafka_conf(handle) else { return nil }
        var size = 0
        guard rd_kafka_conf_get(conf, name, nil, &size) == RD_KAFKA_CONF_OK, size > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: size)
        guard rd_kafka_conf_get(conf, name, &buffer, &size) == RD_KAFKA_CONF_OK else { return nil }
        return String(errorBuffer: buffer)
    }

    /// The fatal error recorded for this handle, if any.
    var fatalError: KafkaError? {
        context.fatalError.withLock { $0 }
    }

    /// The low and high watermark of a partition, asking the partition leader.
    /// - Important: Blocks for up to `timeoutMilliseconds`; call off the cooperative pool.
    func watermarks(
        _ partition: KafkaTopicPartition,
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let result = rd_kafka_query_watermark_offsets(
            handle,
            partition.topic,
            partition.partition,
            &low,
            &high,
            timeoutMilliseconds
        )
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "watermarks of \(partition)") }
        return (low, high)
    }

    /// The number of partitions of `topic`, asking the cluster about that topic alone: a cluster that creates topics
    /// on first use (librdkafka's mock cluster, a broker with `auto.create.topics.enable`) creates it.
    /// - Important: Blocks for up to `timeoutMilliseconds`; call off the cooperative pool.
    func partitionCount(ofTopic topic: String, timeoutMilliseconds: Int32) throws(KafkaError) -> Int {
        guard let handle = rd_kafka_topic_new(self.handle, topic, nil) else {
            throw KafkaError(rd_kafka_last_error(), "topic handle for \(topic)")
        }
        defer { rd_kafka_topic_destroy(handle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(self.handle, 0, handle, &metadata, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(result, "metadata of \(topic)")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        for index in 0..<Int(metadata.pointee.topic_cnt)
        where String(cString: metadata.pointee.topics[index].topic) == topic {
            let entry = metadata.pointee.topics[index]
            guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(entry.err, "metadata of \(topic)") }
            return Int(entry.partition_cnt)
        }
        throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "metadata of \(topic)")
    }

    /// The number of partitions of each named topic, from cluster metadata.
    /// - Important: Blocks for up to `timeoutMilliseconds`; call off the cooperative pool.
    func partitionCounts(topics: [String], timeoutMilliseconds: Int32) throws(KafkaError) -> [String: Int] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(result, "metadata") }
        defer { rd_kafka_metadata_destroy(metadata) }
        var counts: [String: Int] = [:]
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            let name = String(cString: topic.topic)
            if topics.contains(name), topic.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                counts[name] = Int(topic.partition_cnt)
            }
        }
        return counts
    }
}

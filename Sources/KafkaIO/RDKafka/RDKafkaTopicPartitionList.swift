import CKafka

/// Owns an `rd_kafka_topic_partition_list_t`.
///
/// Used on one thread at a time, inside a single call; never shared.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    private let owned: Bool

    /// A new, owned list holding `entries`.
    init(_ entries: [KafkaTopicPartitionOffset]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))
        owned = true
        for entry in entries {
            let element = rd_kafka_topic_partition_list_add(
                pointer,
                entry.topicPartition.topic,
                entry.topicPartition.partition
            )
            element?.pointee.offset = entry.offset
        }
    }

    /// A new, owned list holding `partitions` with an unset offset.
    convenience init(_ partitions: [KafkaTopicPartition]) {
        self.init(partitions.map { KafkaTopicPartitionOffset($0, offset: -1001) })
    }

    /// A borrowed view of a list librdkafka owns; not destroyed by this object.
    init(borrowing pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
        owned = false
    }

    deinit {
        if owned { rd_kafka_topic_partition_list_destroy(pointer) }
    }

    /// The entries with their offsets.
    var entries: [KafkaTopicPartitionOffset] {
        (0..<Int(pointer.pointee.cnt)).map { index in
            let element = pointer.pointee.elems[index]
            return KafkaTopicPartitionOffset(
                KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition),
                offset: element.offset
            )
        }
    }

    /// The first per-entry error, if any.
    var firstError: KafkaError? {
        for index in 0..<Int(pointer.pointee.cnt) {
            let element = pointer.pointee.elems[index]
            if element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                return KafkaError(element.err, "\(String(cString: element.topic))[\(element.partition)]")
            }
        }
        return nil
    }
}

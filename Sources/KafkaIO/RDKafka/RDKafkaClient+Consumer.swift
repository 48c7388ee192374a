import CKafka

/// What one consumer poll produced.
enum RDKafkaPollResult {
    case message(KafkaMessage)
    case error(KafkaError)
    case nothing
}

extension RDKafkaClient {
    /// Polls the consumer queue once.
    /// - Important: With a non-zero timeout this blocks; call it off the cooperative pool.
    func consumerPoll(timeoutMilliseconds: Int32) -> RDKafkaPollResult {
        guard let message = rd_kafka_consumer_poll(handle, timeoutMilliseconds) else { return .nothing }
        defer { rd_kafka_message_destroy(message) }
        let record = message.pointee
        if record.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if record.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return .nothing }
            let topic = record.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
            return .error(KafkaError(record.err, "consume \(topic)[\(record.partition)]"))
        }
        return .message(Self.makeMessage(message))
    }

    /// Copies a librdkafka message into a ``KafkaMessage``.
    static func makeMessage(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaMessage {
        let record = message.pointee
        let topic = String(cString: rd_kafka_topic_name(record.rkt))
        let value: [UInt8] =
            record.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: record.len)) } ?? []
        let key: [UInt8]? = record.key.map { Array(UnsafeRawBufferPointer(start: $0, count: record.key_len)) }
        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            while true {
                var name: UnsafePointer<CChar>?
                var valuePointer: UnsafeRawPointer?
                var size = 0
                guard
                    rd_kafka_header_get_all(headerList, index, &name, &valuePointer, &size)
                        == RD_KAFKA_RESP_ERR_NO_ERROR
                else { break }
                let headerValue = valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: headerValue))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaMessage(
            topicPartition: KafkaTopicPartition(topic: topic, partition: record.partition),
            offset: record.offset,
            key: key,
            value: value,
            headers: headers,
            timestampMilliseconds: timestamp >= 0 ? timestamp : nil
        )
    }

    /// Subscribes to topics; the group assigns partitions.
    func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(topics.map { KafkaTopicPartition(topic: $0, partition: -1) })
        let result = rd_kafka_subscribe(handle, list.pointer)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "subscribe to \(topics)") }
    }

    /// Assigns partitions explicitly, bypassing group assignment.
    func assign(_ partitions: [KafkaTopicPartitionOffset]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(partitions)
        let result = rd_kafka_assign(handle, list.pointer)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "assign") }
    }

    /// The partitions currently assigned.
    func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        var pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let result = rd_kafka_assignment(handle, &pointer)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let pointer else { throw KafkaError(result, "assignment") }
        defer { rd_kafka_topic_partition_list_destroy(pointer) }
        return RDKafkaTopicPartitionList(borrowing: pointer).entries.map(\.topicPartition)
    }

    /// Stores offsets (next offset to read) for the next commit.
    func storeOffsets(_ offsets: [KafkaTopicPartitionOffset]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(offsets)
        let result = rd_kafka_offsets_store(handle, list.pointer)
        if let error = list.firstError { throw error }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "store offsets") }
    }

    /// Commits the stored offsets and waits for the broker.
    /// - Important: Blocks; call off the cooperative pool.
    func commitStoredSync() throws(KafkaError) {
        let result = rd_kafka_commit(handle, nil, 0)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR || result == RD_KAFKA_RESP_ERR__NO_OFFSET else {
            throw KafkaError(result, "commit")
        }
    }

    /// The group's committed offsets for `partitions`.
    /// - Important: Blocks; call off the cooperative pool.
    func committed(
        _ partitions: [KafkaTopicPartition],
        timeoutMilliseconds: Int32
    ) throws(KafkaError) -> [KafkaTopicPartitionOffset] {
        let list = RDKafkaTopicPartitionList(partitions)
        let result = rd_kafka_committed(handle, list.pointer, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "committed") }
        return list.entries
    }

    /// Moves the fetch position of assigned partitions; what was fetched from them and not yet handed out is
    /// dropped.
    /// - Important: Blocks for up to `timeoutMilliseconds`; call off the cooperative pool.
    func seek(_ positions: [KafkaTopicPartitionOffset], timeoutMilliseconds: Int32) throws(KafkaError) {
        guard !positions.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(positions)
        if let error = rd_kafka_seek_partitions(handle, list.pointer, timeoutMilliseconds) {
            throw KafkaError(consuming: error, "seek")
        }
        if let error = list.firstError { throw error }
    }

    /// Stops fetching from partitions; messages already delivered to the application are unaffected.
    func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(partitions)
        let result = rd_kafka_pause_partitions(handle, list.pointer)
        if let error = list.firstError { throw error }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "pause") }
    }

    /// Resumes fetching from paused partitions.
    func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(partitions)
        let result = rd_kafka_resume_partitions(handle, list.pointer)
        if let error = list.firstError { throw error }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "resume") }
    }

    /// Leaves the group: revokes the assignment (running the rebalance callback), commits, and closes.
    /// - Important: Blocks; call off the cooperative pool.
    func consumerClose() throws(KafkaError) {
        let result = rd_kafka_consumer_close(handle)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "close") }
    }
}

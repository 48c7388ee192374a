import CKafka

extension RDKafkaClient {
    /// Creates topics through the Admin API; topics that already exist count as created.
    /// - Important: Blocks for up to `timeoutMilliseconds`; call off the cooperative pool.
    func createTopics(_ topics: [KafkaTopicSpecification], timeoutMilliseconds: Int32) throws(KafkaError) {
        guard !topics.isEmpty else { return }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer {
            for newTopic in newTopics { rd_kafka_NewTopic_destroy(newTopic) }
        }
        for topic in topics {
            guard
                let newTopic = rd_kafka_NewTopic_new(
                    topic.name,
                    Int32(topic.partitions),
                    Int32(topic.replicationFactor),
                    &errorBuffer,
                    errorBuffer.count
                )
            else {
                throw KafkaError(.invalidConfiguration, "topic \(topic.name): \(String(errorBuffer: errorBuffer))")
            }
            for (key, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                let result = rd_kafka_NewTopic_set_config(newTopic, key, value)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    rd_kafka_NewTopic_destroy(newTopic)
                    throw KafkaError(result, "topic \(topic.name) config \(key)")
                }
            }
            newTopics.append(newTopic)
        }
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorBuffer, errorBuffer.count)
        rd_kafka_CreateTopics(handle, &newTopics, newTopics.count, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            throw KafkaError(.timedOut, "create topics: no answer within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        guard eventError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(eventError, "create topics: \(String(cString: rd_kafka_event_error_string(event)))")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(.illegalState, "create topics: unexpected event type")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for index in 0..<count {
            let topicResult = results[index]
            let error = rd_kafka_topic_result_error(topicResult)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let name = String(cString: rd_kafka_topic_result_name(topicResult))
                let message = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
                throw KafkaError(error, "create topic \(name): \(message)")
            }
        }
    }
}

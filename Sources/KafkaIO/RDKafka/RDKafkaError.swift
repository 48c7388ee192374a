import CKafka

extension KafkaError.Code {
    /// The code for a librdkafka error number, named by `rd_kafka_err2name` in lower case.
    init(_ err: rd_kafka_resp_err_t) {
        let name = String(cString: rd_kafka_err2name(err)).lowercased()
        self.init(rawValue: err.rawValue, name: name.hasPrefix("_") ? String(name.dropFirst()) : name)
    }

    /// librdkafka's local queue is full (`_QUEUE_FULL`); the producer waits and retries.
    public static let queueFull = Self(RD_KAFKA_RESP_ERR__QUEUE_FULL)
    /// A record could not be delivered within `delivery.timeout.ms` (`_MSG_TIMED_OUT`).
    public static let messageTimedOut = Self(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
    /// A local operation timed out (`_TIMED_OUT`).
    public static let timedOut = Self(RD_KAFKA_RESP_ERR__TIMED_OUT)
    /// The operation needs partitions the client does not have assigned (`_STATE`).
    public static let state = Self(RD_KAFKA_RESP_ERR__STATE)
    /// There was nothing to commit (`_NO_OFFSET`).
    public static let noOffset = Self(RD_KAFKA_RESP_ERR__NO_OFFSET)
    /// The topic or partition does not exist (`UNKNOWN_TOPIC_OR_PART`).
    public static let unknownTopicOrPartition = Self(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    /// The topic already exists (`TOPIC_ALREADY_EXISTS`).
    public static let topicAlreadyExists = Self(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    /// The broker is not the partition leader (`NOT_LEADER_FOR_PARTITION`); retriable.
    public static let notLeaderForPartition = Self(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
    /// The broker timed out a request (`REQUEST_TIMED_OUT`); retriable.
    public static let requestTimedOut = Self(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
    /// Not enough in-sync replicas (`NOT_ENOUGH_REPLICAS`); retriable.
    public static let notEnoughReplicas = Self(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
    /// The client may not write to or read from the topic (`TOPIC_AUTHORIZATION_FAILED`); not retriable.
    public static let topicAuthorizationFailed = Self(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
    /// A group rebalance is in progress (`REBALANCE_IN_PROGRESS`).
    public static let rebalanceInProgress = Self(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
    /// All brokers are down (`_ALL_BROKERS_DOWN`).
    public static let allBrokersDown = Self(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
    /// The error librdkafka reports when a fatal error has been raised (`_FATAL`).
    public static let fatal = Self(RD_KAFKA_RESP_ERR__FATAL)
    /// A record is larger than allowed (`MSG_SIZE_TOO_LARGE`): by the producer's `message.max.bytes`, checked
    /// before sending, or by the broker (the topic's `max.message.bytes`, which applies to a whole batch).
    public static let messageSizeTooLarge = Self(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
    /// The broker refused a batch larger than its log segment (`RECORD_LIST_TOO_LARGE`).
    public static let recordListTooLarge = Self(RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE)
}

extension KafkaError {
    /// An error for a librdkafka error number.
    init(_ err: rd_kafka_resp_err_t, _ context: String, fileID: String = #fileID, line: Int = #line) {
        let text = String(cString: rd_kafka_err2str(err))
        self.init(Code(err), "\(context): \(text)", fileID: fileID, line: line)
    }

    /// An error from a librdkafka error object, which it destroys.
    init(consuming error: OpaquePointer, _ context: String, fileID: String = #fileID, line: Int = #line) {
        let code = Code(rd_kafka_error_code(error))
        let text = String(cString: rd_kafka_error_string(error))
        self.init(
            code,
            "\(context): \(text)",
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            fileID: fileID,
            line: line
        )
        rd_kafka_error_destroy(error)
    }
}

import CKafka
import Logging
import Synchronization

/// State that librdkafka's C callbacks reach through the handle's opaque pointer.
///
/// Callbacks only record and return (STYLE.md §5): rebalance callbacks perform the (un)assign librdkafka requires
/// and append an event; everything else is drained by the Swift side.
///
/// - Important: The context must outlive the librdkafka handle. ``RDKafkaClient`` holds it as a stored property,
///   and Swift releases stored properties only after `deinit` has destroyed the handle.
final class RDKafkaContext: Sendable {
    let logger: Logger
    /// Assignment changes recorded by the rebalance callback, drained by the consumer's `next()`.
    let rebalanceEvents = Mutex<[KafkaConsumerEvent]>([])
    /// The fatal error librdkafka raised, if any; the client is unusable after it.
    let fatalError = Mutex<KafkaError?>(nil)
    /// Whether rebalances are acknowledged with incremental (cooperative) calls.
    let isCooperative = Mutex<Bool?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }

    /// The context behind a handle's opaque pointer.
    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaContext? {
        opaque.map { Unmanaged<RDKafkaContext>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// librdkafka's log callback: forwards to swift-log. Called on librdkafka's threads.
let rdKafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    handle,
    level,
    facility,
    message in
    guard let handle, let context = RDKafkaContext.from(rd_kafka_opaque(handle)) else { return }
    let facilityText = facility.map { String(cString: $0) } ?? ""
    // librdkafka raises each broker failure (facility FAIL) and fatal error (FATAL) twice: as this log line and as
    // an error event, which the error callbacks (and the consumer's poll) log with the error's code. Logged there
    // only. See rd_kafka_broker_set_error (rdkafka_broker.c) and rd_kafka_set_fatal_error0 (rdkafka.c):
    // https://github.com/confluentinc/librdkafka/blob/v2.0.2/src/rdkafka_broker.c
    if facilityText == "FAIL" || facilityText == "FATAL" { return }
    let text = message.map { String(cString: $0) } ?? ""
    let swiftLevel: Logger.Level
    switch level {
    case 0...3: swiftLevel = .error
    case 4: swiftLevel = .warning
    case 5, 6: swiftLevel = .info
    default: swiftLevel = .debug
    }
    context.logger.log(level: swiftLevel, "\(text)", metadata: ["librdkafka.facility": "\(facilityText)"])
}

/// librdkafka's error callback for consumers: logs, and records fatal errors for the consumer to throw.
let rdKafkaErrorCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle,
        err,
        reason,
        opaque in
        guard let context = RDKafkaContext.from(opaque) else { return }
        let text = reason.map { String(cString: $0) } ?? ""
        if err == RD_KAFKA_RESP_ERR__FATAL.rawValue, let handle {
            var buffer = [CChar](repeating: 0, count: 512)
            let fatalCode = rd_kafka_fatal_error(handle, &buffer, buffer.count)
            let error = KafkaError(fatalCode, "fatal: \(String(errorBuffer: buffer))")
            context.fatalError.withLock { $0 = KafkaError(error.code, error.message, isFatal: true) }
            context.logger.critical("librdkafka fatal error: \(error.message)")
        } else {
            let code = KafkaError.Code(rd_kafka_resp_err_t(rawValue: err))
            context.logger.warning("librdkafka: \(text)", metadata: ["kafka.error": "\(code.name)"])
        }
    }

/// librdkafka's rebalance callback: performs the assign or unassign librdkafka requires, then records the event.
///
/// Before giving partitions up it commits the offsets already stored, asynchronously, so the next owner starts
/// after the last message with a final outcome.
let rdKafkaRebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { handle, err, partitions, opaque in
        guard let handle, let partitions, let context = RDKafkaContext.from(opaque) else { return }
        let list = RDKafkaTopicPartitionList(borrowing: partitions)
        let topicPartitions = list.entries.map(\.topicPartition)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        context.isCooperative.withLock { $0 = cooperative }
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) {
                    context.logger.error("\(KafkaError(consuming: error, "incremental assign"))")
                }
            } else {
                let result = rd_kafka_assign(handle, partitions)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    context.logger.error("\(KafkaError(result, "assign"))")
                }
            }
            context.rebalanceEvents.withLock { $0.append(.partitionsAssigned(topicPartitions)) }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            _ = rd_kafka_commit(handle, nil, 1)
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) {
                    context.logger.error("\(KafkaError(consuming: error, "incremental unassign"))")
                }
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
            context.rebalanceEvents.withLock { $0.append(.partitionsRevoked(topicPartitions)) }
        default:
            context.logger.error("rebalance error: \(String(cString: rd_kafka_err2str(err)))")
            _ = rd_kafka_assign(handle, nil)
            context.rebalanceEvents.withLock { $0.append(.partitionsRevoked(topicPartitions)) }
        }
    }

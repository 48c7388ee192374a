import CKafka
import Logging
import Synchronization

/// Completes one record's delivery when its report arrives, whether or not someone waits for it yet.
///
/// Passed to librdkafka as the message opaque with a +1 retain, taken back exactly once by the background event
/// callback (or by `produce` when librdkafka refused the record, in which case no report ever comes).
final class RDKafkaDeliveryPromise: Sendable {
    private enum State {
        /// No report yet; the waiter, if one waits.
        case pending(CheckedContinuation<KafkaDeliveryReport, any Error>?)
        /// The report arrived before anyone waited.
        case done(Result<KafkaDeliveryReport, KafkaError>)
        /// The waiter was resumed.
        case finished
    }

    private let state: Mutex<State>

    /// A promise nobody waits on yet: ``wait()`` takes the report later.
    init() {
        state = Mutex(.pending(nil))
    }

    /// A promise with its waiter.
    init(_ continuation: CheckedContinuation<KafkaDeliveryReport, any Error>) {
        state = Mutex(.pending(continuation))
    }

    func complete(_ result: Result<KafkaDeliveryReport, KafkaError>) {
        let waiting = state.withLock { state -> CheckedContinuation<KafkaDeliveryReport, any Error>? in
            guard case .pending(let continuation) = state else { return nil }
            guard let continuation else {
                state = .done(result)
                return nil
            }
            state = .finished
            return continuation
        }
        waiting?.resume(with: result.mapError { $0 as any Error })
    }

    /// Waits for the report (returns at once when it already arrived). Call at most once. Cancelling the waiting
    /// task ends the wait with `CancellationError`; the record itself stays with librdkafka.
    func wait() async throws -> KafkaDeliveryReport {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state -> Result<KafkaDeliveryReport, any Error>? in
                    switch state {
                    case .done(let result):
                        state = .finished
                        return result.mapError { $0 as any Error }
                    case .pending:
                        // Checked under the lock the cancellation handler takes: a cancel never strands the waiter.
                        if Task.isCancelled {
                            state = .finished
                            return .failure(CancellationError())
                        }
                        state = .pending(continuation)
                        return nil
                    case .finished:
                        return .failure(KafkaError(.illegalState, "a delivery was awaited twice"))
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiting = state.withLock { state -> CheckedContinuation<KafkaDeliveryReport, any Error>? in
                guard case .pending(let continuation?) = state else { return nil }
                state = .finished
                return continuation
            }
            waiting?.resume(throwing: CancellationError())
        }
    }
}

/// What `produce` did with a record.
enum RDKafkaProduceResult {
    /// librdkafka took the record; the promise completes with its delivery report.
    case enqueued
    /// librdkafka's queue is full; nothing was taken and the promise was not consumed.
    case queueFull
    /// librdkafka refused the record; the promise was not consumed.
    case failed(KafkaError)
}

extension RDKafkaClient {
    /// Hands one record to librdkafka.
    func produce(
        topic: String,
        partition: Int32?,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader],
        promise: RDKafkaDeliveryPromise
    ) -> RDKafkaProduceResult {
        let headerList = rd_kafka_headers_new(headers.count)
        for header in headers {
            if let headerValue = header.value {
                headerValue.withUnsafeBytes { bytes in
                    _ = rd_kafka_header_add(headerList, header.key, -1, bytes.baseAddress, bytes.count)
                }
            } else {
                _ = rd_kafka_header_add(headerList, header.key, -1, nil, 0)
            }
        }
        let opaque = Unmanaged.passRetained(promise).toOpaque()
        let error: OpaquePointer? = topic.withCString { topicName in
            value.withUnsafeBytes { valueBytes in
                (key ?? []).withUnsafeBytes { keyBytes in
                    var fields: [rd_kafka_vu_t] = []
                    var field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_TOPIC
                    field.u.cstr = topicName
                    fields.append(field)
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_PARTITION
                    field.u.i32 = partition ?? -1
                    fields.append(field)
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    field.u.i = RD_KAFKA_MSG_F_COPY
                    fields.append(field)
                    if !value.isEmpty {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_VALUE
                        field.u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                        field.u.mem.size = valueBytes.count
                        fields.append(field)
                    }
                    if key != nil {
                        field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_KEY
                        field.u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                        field.u.mem.size = keyBytes.count
                        fields.append(field)
                    }
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_HEADERS
                    field.u.headers = headerList
                    fields.append(field)
                    field = rd_kafka_vu_t()
                    field.vtype = RD_KAFKA_VTYPE_OPAQUE
                    field.u.ptr = opaque
                    fields.append(field)
                    return rd_kafka_produceva(handle, fields, fields.count)
                }
            }
        }
        guard let error else { return .enqueued }
        // Refused: librdkafka kept neither the headers nor the opaque.
        rd_kafka_headers_destroy(headerList)
        Unmanaged<RDKafkaDeliveryPromise>.fromOpaque(opaque).release()
        if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL {
            rd_kafka_error_destroy(error)
            return .queueFull
        }
        return .failed(KafkaError(consuming: error, "produce to \(topic)"))
    }

    /// Waits until every queued record was delivered or failed, up to the timeout.
    /// - Returns: the number of records still queued.
    /// - Important: Blocks; call off the cooperative pool.
    func flush(timeoutMilliseconds: Int32) -> Int {
        _ = rd_kafka_flush(handle, timeoutMilliseconds)
        return Int(rd_kafka_outq_len(handle))
    }

    /// Records queued in librdkafka and not yet delivered.
    var outstanding: Int { Int(rd_kafka_outq_len(handle)) }
}

/// Runs on librdkafka's background thread for producers: completes sends from delivery reports and logs errors.
let rdKafkaBackgroundEventCallback: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafeMutableRawPointer?) -> Void =
    {
        handle,
        event,
        opaque in
        guard let event else { return }
        defer { rd_kafka_event_destroy(event) }
        let context = RDKafkaContext.from(opaque)
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_DR:
            while let message = rd_kafka_event_message_next(event) {
                guard let privateOpaque = message.pointee._private else { continue }
                let promise = Unmanaged<RDKafkaDeliveryPromise>.fromOpaque(privateOpaque).takeRetainedValue()
                let record = message.pointee
                if record.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    let topic = String(cString: rd_kafka_topic_name(record.rkt))
                    promise.complete(
                        .success(
                            KafkaDeliveryReport(
                                topicPartition: KafkaTopicPartition(topic: topic, partition: record.partition),
                                offset: record.offset
                            )
                        )
                    )
                } else {
                    promise.complete(.failure(KafkaError(record.err, "delivery")))
                }
            }
        case RD_KAFKA_EVENT_ERROR:
            let code = rd_kafka_event_error(event)
            let text = String(cString: rd_kafka_event_error_string(event))
            if rd_kafka_event_error_is_fatal(event) != 0, let handle {
                var buffer = [CChar](repeating: 0, count: 512)
                let fatalCode = rd_kafka_fatal_error(handle, &buffer, buffer.count)
                let error = KafkaError(
                    KafkaError.Code(fatalCode),
                    "fatal: \(String(errorBuffer: buffer))",
                    isFatal: true
                )
                context?.fatalError.withLock { $0 = error }
                context?.logger.critical("librdkafka producer fatal error: \(error.message)")
            } else {
                context?.logger.warning(
                    "librdkafka: \(text)",
                    metadata: ["kafka.error": "\(KafkaError.Code(code).name)"]
                )
            }
        default:
            break
        }
    }

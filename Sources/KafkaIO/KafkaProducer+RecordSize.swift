extension KafkaProducer {
    /// librdkafka's per-record overhead bound for message format v2 (`RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD`): the
    /// length, attributes, timestamp and offset deltas, key and value lengths and header count, each varint at
    /// its widest.
    static let recordOverhead = 5 + 1 + 10 + 5 + 5 + 5 + 5

    /// The size librdkafka compares with `message.max.bytes` (``maxMessageBytes``) before it takes a record: its
    /// overhead bound plus the key, the value and the serialized headers (each name and value with its
    /// zigzag-varint length).
    ///
    /// A broker's `max.message.bytes` applies to a whole record batch, which adds 61 bytes of batch header and may
    /// hold other records; see librdkafka's `rd_kafka_msg_new0` and `rd_kafka_header_add` for the producer's side.
    /// - Returns: the size in bytes.
    public static func recordSize(key: [UInt8]?, value: [UInt8], headers: [KafkaHeader]) -> Int {
        var size = recordOverhead + (key?.count ?? 0) + value.count
        for header in headers {
            let nameSize = header.key.utf8.count
            let valueSize = header.value?.count ?? 0
            size += nameSize + valueSize + zigzagVarintSize(nameSize) + zigzagVarintSize(valueSize)
        }
        return size
    }

    /// The bytes of a non-negative number as a zigzag varint (twice the number, seven bits a byte).
    static func zigzagVarintSize(_ number: Int) -> Int {
        var rest = UInt64(number) << 1
        var bytes = 1
        while rest >= 0x80 {
            rest >>= 7
            bytes += 1
        }
        return bytes
    }
}

import CKafka

extension LibrdkafkaVersion {
    /// The librdkafka the process actually loaded.
    public static var runtime: LibrdkafkaVersion {
        let packed = UInt32(bitPattern: rd_kafka_version())
        return LibrdkafkaVersion(
            major: Int(packed >> 24 & 0xFF),
            minor: Int(packed >> 16 & 0xFF),
            patch: Int(packed >> 8 & 0xFF),
            text: String(cString: rd_kafka_version_str())
        )
    }
}

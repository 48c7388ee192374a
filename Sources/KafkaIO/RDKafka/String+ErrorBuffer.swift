extension String {
    /// The text in a NUL-terminated buffer that librdkafka filled (error strings).
    init(errorBuffer buffer: [CChar]) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

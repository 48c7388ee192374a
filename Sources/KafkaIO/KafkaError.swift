/// An error from the Kafka wrapper, with a stable code.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// A stable error code: either a librdkafka error number or one of the wrapper's own.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The librdkafka error number (negative for local errors), or a wrapper code below -10,000.
        public let rawValue: Int32
        /// A stable name used in logs, metrics and dead-letter headers.
        public let name: String

        init(rawValue: Int32, name: String) {
            self.rawValue = rawValue
            self.name = name
        }

        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
        public var description: String { name }

        /// The configuration was refused, by us or by librdkafka.
        public static let invalidConfiguration = Code(rawValue: -10_001, name: "invalid_configuration")
        /// The component was closed.
        public static let closed = Code(rawValue: -10_002, name: "closed")
        /// The runtime librdkafka is older than ``LibrdkafkaVersion/minimum``.
        public static let versionTooOld = Code(rawValue: -10_003, name: "librdkafka_too_old")
        /// The operation was called in a state that does not allow it.
        public static let illegalState = Code(rawValue: -10_004, name: "illegal_state")
    }

    /// The code.
    public var code: Code
    /// What happened, for people.
    public var message: String
    /// Whether librdkafka marked the error fatal: the client can no longer be used.
    public var isFatal: Bool
    /// Whether retrying the same operation may succeed.
    public var isRetriable: Bool
    /// Where the error was raised.
    public var location: String

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        isFatal: Bool = false,
        isRetriable: Bool = false,
        fileID: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.isFatal = isFatal
        self.isRetriable = isRetriable
        self.location = "\(fileID):\(line)"
    }

    public var description: String { "KafkaError(\(code.name)): \(message)" }
}

extension KafkaError: Equatable {
    /// Errors are equal when their codes are.
    public static func == (lhs: KafkaError, rhs: KafkaError) -> Bool { lhs.code == rhs.code }
}

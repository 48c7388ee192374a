/// Why an input could not become events: a stable reason code plus a message for people.
///
/// The code is what the dead-letter header `ingestor-reason` and the metrics carry, so its spelling never changes.
public struct Rejection: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable reason.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case emptyPayload = "empty_payload"
            case payloadTooLarge = "payload_too_large"
            case invalidJSON = "invalid_json"
            case nestingTooDeep = "nesting_too_deep"
            case unrecognizedFormat = "unrecognized_format"
            case unknownFormat = "unknown_format"
            case invalidPayload = "invalid_payload"
            case tooManyEvents = "too_many_events"
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The message has no bytes.
        public static let emptyPayload = Code(.emptyPayload)
        /// The message is larger than `limits.max_payload_bytes`.
        public static let payloadTooLarge = Code(.payloadTooLarge)
        /// The bytes are not valid JSON (syntax, UTF-8, NaN, duplicate keys with different values, trailing bytes).
        public static let invalidJSON = Code(.invalidJSON)
        /// JSON nesting is deeper than `limits.max_json_depth`.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// The shape matches no decoder that the route allows.
        public static let unrecognizedFormat = Code(.unrecognizedFormat)
        /// A format named in the config or the `ingestor-format` header that no decoder implements.
        public static let unknownFormat = Code(.unknownFormat)
        /// The shape was recognised but a required field is missing or has the wrong type or value.
        public static let invalidPayload = Code(.invalidPayload)
        /// One message would expand into more events than `limits.max_events_per_message`.
        public static let tooManyEvents = Code(.tooManyEvents)

        /// Every code, for documentation and tests.
        public static let all: [Code] = [
            .emptyPayload, .payloadTooLarge, .invalidJSON, .nestingTooDeep, .unrecognizedFormat, .unknownFormat,
            .invalidPayload, .tooManyEvents,
        ]

        /// The stable spelling used in headers, metrics and logs.
        public var rawValue: String { base.rawValue }
        public var description: String { base.rawValue }
    }

    /// The reason code.
    public var code: Code
    /// What was wrong, for people; never contains whole payloads.
    public var message: String

    /// Creates a rejection.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

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
            case notAnAlert = "not_an_alert"
            case snsControl = "sns_control"
            case autoReply = "auto_reply"
            case bounce
            case deliveryReport = "delivery_report"
            case mailingList = "mailing_list"
            case invalidEmail = "invalid_email"
            case emailTooLarge = "email_too_large"
            case tooManyHeaders = "too_many_headers"
            case headerTooLong = "header_too_long"
            case mimeTooDeep = "mime_too_deep"
            case tooManyParts = "too_many_parts"
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

        /// The payload is well-formed but describes no alert (a change event, a configuration change, a
        /// non-trigger Zabbix source, a test notification).
        public static let notAnAlert = Code(.notAnAlert)
        /// An AWS SNS subscription or unsubscription confirmation: for the intake, not an incident.
        public static let snsControl = Code(.snsControl)
        /// An automatic reply (out of office, `Auto-Submitted: auto-replied`).
        public static let autoReply = Code(.autoReply)
        /// A bounce: a delivery failure notice.
        public static let bounce = Code(.bounce)
        /// A read receipt, abuse feedback or other machine report that is not a bounce.
        public static let deliveryReport = Code(.deliveryReport)
        /// Mailing-list or bulk mail, which no route expects.
        public static let mailingList = Code(.mailingList)
        /// The bytes are not an email message at all (no header section).
        public static let invalidEmail = Code(.invalidEmail)
        /// The decoded text of an email is larger than `limits.max_email_text_bytes`.
        public static let emailTooLarge = Code(.emailTooLarge)
        /// An email has more header fields than `limits.max_header_count`.
        public static let tooManyHeaders = Code(.tooManyHeaders)
        /// An email header field (unfolded) was longer than `limits.max_header_bytes`. No longer produced: such a field
        /// is cut at the limit and marked (label `mime_defect=header_truncated`); the code stays so older dead
        /// letters still read.
        public static let headerTooLong = Code(.headerTooLong)
        /// MIME parts nest deeper than `limits.max_mime_depth`.
        public static let mimeTooDeep = Code(.mimeTooDeep)
        /// An email has more MIME parts than `limits.max_mime_parts`.
        public static let tooManyParts = Code(.tooManyParts)

        /// Every code, for documentation and tests.
        public static let all: [Code] = [
            .emptyPayload, .payloadTooLarge, .invalidJSON, .nestingTooDeep, .unrecognizedFormat, .unknownFormat,
            .invalidPayload, .tooManyEvents, .notAnAlert, .snsControl, .autoReply, .bounce, .deliveryReport,
            .mailingList, .invalidEmail, .emailTooLarge, .tooManyHeaders, .headerTooLong, .mimeTooDeep, .tooManyParts,
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

/// Why a request produced no response.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// A stable code for metrics, logs and dead-letter headers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case timeout, connect, tls
            case responseTooLarge = "response_too_large"
            case cancelled, shutdown
            case invalidRequest = "invalid_request"
            case
                io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The deadline passed.
        public static let timeout = Code(.timeout)
        /// The connection could not be made (DNS, refused, proxy).
        public static let connect = Code(.connect)
        /// TLS failed, including certificate verification.
        public static let tls = Code(.tls)
        /// The response body exceeded the request's limit.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// The client was shut down.
        public static let shutdown = Code(.shutdown)
        /// The request could not be set up (bad URL, unsupported scheme).
        public static let invalidRequest = Code(.invalidRequest)
        /// The connection broke while sending or receiving.
        public static let io = Code(.io)

        /// The stable spelling.
        public var rawValue: String { base.rawValue }
        public var description: String { base.rawValue }
    }

    /// The code.
    public var code: Code
    /// What happened, for people.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether trying again later may succeed.
    public var isRetriable: Bool {
        switch code {
        case .timeout, .connect, .io, .tls: true
        default: false
        }
    }

    public var description: String { "\(code): \(message)" }
}

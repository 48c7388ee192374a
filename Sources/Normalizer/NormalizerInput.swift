/// The raw material for normalization: the message bytes and what the transport knows about them.
public struct NormalizerInput: Sendable {
    /// One transport header (a Kafka record header).
    public struct Header: Sendable, Hashable {
        /// The header name.
        public var name: String
        /// The header value bytes.
        public var value: [UInt8]

        /// Creates a header.
        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// The message bytes.
    public var payload: [UInt8]
    /// Transport headers in order.
    public var headers: [Header]
    /// Where the message came from (the Kafka topic), for routing and labels.
    public var origin: String
    /// The transport's timestamp (the Kafka record timestamp), used when a payload carries no time.
    public var receivedAt: Timestamp?
    /// A stable identity of this record at the transport (`topic/partition/offset`), for sources whose events
    /// have no identity of their own (a PagerDuty trigger without `dedup_key` is always a new alert).
    public var recordID: String?

    /// Creates an input.
    public init(
        payload: [UInt8],
        headers: [Header] = [],
        origin: String = "",
        receivedAt: Timestamp? = nil,
        recordID: String? = nil
    ) {
        self.payload = payload
        self.headers = headers
        self.origin = origin
        self.receivedAt = receivedAt
        self.recordID = recordID
    }

    /// The value of the first header named `name` (case-insensitive) as UTF-8 text.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        guard let header = headers.first(where: { $0.name.lowercased() == wanted }) else { return nil }
        return String(decoding: header.value, as: UTF8.self)
    }
}

/// Turns raw message bytes into normalized events, or into a typed ``Rejection``.
///
/// Pure: no I/O, no clock, no logging, no shared state. Safe to call from any number of threads.
public struct Normalizer: Sendable {
    /// Bounds that protect the worker from oversized and hostile payloads.
    public struct Limits: Sendable, Hashable {
        /// Largest payload accepted, in bytes; default 1 MiB.
        public var maxPayloadBytes: Int
        /// Deepest JSON nesting accepted; default 32.
        public var maxJSONDepth: Int
        /// Most events one message may expand into; default 1,000.
        public var maxEventsPerMessage: Int
        /// Most header fields in an email (nested messages included); default 500.
        public var maxHeaderCount: Int
        /// Longest email header field after unfolding, in bytes; default 16 KiB.
        public var maxHeaderBytes: Int
        /// Deepest MIME nesting; default 16.
        public var maxMIMEDepth: Int
        /// Most MIME parts in one email; default 500.
        public var maxMIMEParts: Int
        /// Most decoded text taken from an email into its event, in bytes; default 256 KiB.
        public var maxEmailTextBytes: Int

        /// Creates limits; every parameter has the documented default.
        public init(
            maxPayloadBytes: Int = 1 << 20,
            maxJSONDepth: Int = 32,
            maxEventsPerMessage: Int = 1000,
            maxHeaderCount: Int = 500,
            maxHeaderBytes: Int = 16 * 1024,
            maxMIMEDepth: Int = 16,
            maxMIMEParts: Int = 500,
            maxEmailTextBytes: Int = 256 * 1024
        ) {
            self.maxPayloadBytes = maxPayloadBytes
            self.maxJSONDepth = maxJSONDepth
            self.maxEventsPerMessage = maxEventsPerMessage
            self.maxHeaderCount = maxHeaderCount
            self.maxHeaderBytes = maxHeaderBytes
            self.maxMIMEDepth = maxMIMEDepth
            self.maxMIMEParts = maxMIMEParts
            self.maxEmailTextBytes = maxEmailTextBytes
        }
    }

    /// The header that names a message's format, overriding the route's setting.
    public static let formatHeader = "ingestor-format"

    /// The limits in force.
    public var limits: Limits
    /// Options for calls that name no route.
    public var options: DecodeOptions
    /// Decoders in detection order; route-only decoders last.
    private let decoders: [any AlertDecoder]

    /// Creates a normalizer with every built-in decoder.
    public init(limits: Limits = Limits(), options: DecodeOptions = DecodeOptions()) {
        self.limits = limits
        self.options = options
        let all: [any AlertDecoder] = [
            SNSDecoder(), EventBridgeDecoder(), AzureMonitorDecoder(), GoogleCloudMonitoringDecoder(),
            PagerDutyDecoder(),
            GrafanaDecoder(), AlertmanagerDecoder(), CloudWatchAlarmDecoder(), GrafanaLegacyDecoder(),
            OpsgenieDecoder(),
            SentryDecoder(), NewRelicDecoder(), EmailEnvelopeDecoder(limits: limits), DatadogDecoder(), ZabbixDecoder(),
            GenericDecoder(),
        ]
        decoders = all.sorted { ($0.detectionRank ?? Int.max) < ($1.detectionRank ?? Int.max) }
        var formats: [SourceFormat] = [.auto]
        for decoder in decoders where !formats.contains(decoder.format) { formats.append(decoder.format) }
        knownFormats = formats
    }

    /// The formats a route may name, `auto` included.
    public let knownFormats: [SourceFormat]

    /// Normalizes one message with this normalizer's options.
    /// - Parameter format: the route's format; the `ingestor-format` header, when present, takes precedence.
    /// - Throws: ``Rejection`` with a stable reason code.
    public func normalize(_ input: NormalizerInput, format: SourceFormat = .auto) throws(Rejection) -> [NormalizedEvent]
    {
        try normalize(input, route: SourceRoute(format: format, options: options))
    }

    /// Normalizes one message for a route.
    /// - Returns: zero or more events; zero when the payload is valid but needs no incident (an empty group, a
    ///   state that is deliberately ignored).
    /// - Throws: ``Rejection`` with a stable reason code.
    public func normalize(_ input: NormalizerInput, route: SourceRoute) throws(Rejection) -> [NormalizedEvent] {
        try normalization(of: input, route: route).events
    }

    /// What one message normalized to, and whether that depended on more than its bytes.
    public struct Normalization: Sendable {
        /// The events, as ``normalize(_:route:)`` returns them.
        public var events: [NormalizedEvent]
        /// Whether a decoder read the record's metadata (its timestamp, record id or a header other than
        /// `ingestor-format`): then another record with the same bytes may normalize differently. When `false`, the
        /// events are a function of the bytes, the `ingestor-format` header and the route alone.
        public var readsTransport: Bool
    }

    /// Normalizes one message for a route, reporting whether the events depend on the record's metadata.
    /// - Throws: ``Rejection`` with a stable reason code.
    public func normalization(of input: NormalizerInput, route: SourceRoute) throws(Rejection) -> Normalization {
        if input.payload.isEmpty { throw Rejection(.emptyPayload, "the message has no bytes") }
        if input.payload.count > limits.maxPayloadBytes {
            throw Rejection(
                .payloadTooLarge,
                "the message has \(input.payload.count) bytes, the limit is \(limits.maxPayloadBytes)"
            )
        }
        let requested = input.header(Self.formatHeader).map { SourceFormat($0.trimmingWhitespace()) } ?? route.format
        guard knownFormats.contains(requested) else {
            throw Rejection(
                .unknownFormat,
                "no decoder named \"\(requested)\"; known: \(knownFormats.map(\.name).joined(separator: ", "))"
            )
        }
        let reads = TransportReads()
        let context = DecodeContext(
            input: input,
            options: route.options,
            reads: reads,
            decodeNested: detectAndDecode,
            nesting: 0
        )
        let events: [NormalizedEvent]
        if requested == .email && !Self.looksLikeJSON(input.payload)
            || requested == .auto && Self.looksLikeEmail(input.payload)
        {
            events = try EmailDecoder(limits: limits).decode(input.payload, context: context)
        } else {
            let object = try parseObject(input.payload)
            if requested == .auto {
                events = try detectAndDecode(object, context: context)
            } else {
                let decoder = decoders.first { $0.format == requested }!
                guard decoder.recognizes(object) else {
                    throw Rejection(.invalidPayload, "the payload does not have the shape of \(decoder.format)")
                }
                events = try decoder.decode(object, context: context)
            }
        }
        if events.count > limits.maxEventsPerMessage {
            throw Rejection(
                .tooManyEvents,
                "\(events.count) events in one message, the limit is \(limits.maxEventsPerMessage)"
            )
        }
        return Normalization(events: events, readsTransport: reads.transport)
    }

    private func parseObject(_ payload: [UInt8]) throws(Rejection) -> JSONObject {
        let document: JSONValue
        do {
            document = try JSONParser(maxDepth: limits.maxJSONDepth).parse(payload)
        } catch {
            throw Rejection(error.tooDeep ? .nestingTooDeep : .invalidJSON, error.message)
        }
        guard let object = document.object else {
            throw Rejection(.unrecognizedFormat, "the payload is JSON but not an object")
        }
        return object
    }

    /// Auto-detection: the first decoder (in rank order) that recognises the shape, provided no other decoder of
    /// the same rank does too; never a guess (INPUT-FORMATS.md §0.1).
    private func detectAndDecode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let nested = DecodeContext(
            input: context.transport,
            options: context.options,
            reads: context.reads,
            decodeNested: context.decodeNested,
            nesting: context.nesting + 1
        )
        let candidates = decoders.filter { $0.detectionRank != nil && $0.recognizes(object) }
        if let first = candidates.first {
            let ties = candidates.filter { $0.detectionRank == first.detectionRank }
            guard ties.count == 1 else {
                throw Rejection(
                    .unrecognizedFormat,
                    "ambiguous shape: \(ties.map(\.format.name).joined(separator: ", ")) all match"
                )
            }
            return try first.decode(object, context: context.nesting == 0 ? context : nested)
        }
        if context.options.genericFallback {
            return try GenericDecoder().decode(object, context: context)
        }
        let keys = object.keys.prefix(8).joined(separator: ", ")
        throw Rejection(.unrecognizedFormat, "no decoder recognises an object with keys [\(keys)]")
    }

    /// Whether the first meaningful byte opens a JSON object or array.
    static func looksLikeJSON(_ bytes: [UInt8]) -> Bool {
        var index = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index < bytes.count && (bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "["))
    }

    /// Whether the bytes start like an RFC 5322 message: a header field `Name: value` (or an mbox `From ` line).
    static func looksLikeEmail(_ bytes: [UInt8]) -> Bool {
        guard !looksLikeJSON(bytes) else { return false }
        if bytes.starts(with: Array("From ".utf8)) { return true }
        var index = 0
        while index < bytes.count, index < 200 {
            let byte = bytes[index]
            if byte == UInt8(ascii: ":") { return index > 0 }
            // Field names are printable ASCII without spaces or colons (RFC 5322 §3.6.8).
            guard byte > 32, byte < 127 else { return false }
            index += 1
        }
        return false
    }
}

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
    let decoders: [any AlertDecoder]

    /// Creates a normalizer with every built-in decoder.
    public init(limits: Limits = Limits(), options: DecodeOptions = DecodeOptions()) {
        self.limits = limits
        self.options = options
        let all: [any AlertDecoder] = [
            SNSDecoder(), CloudWatchAlarmDecoder(), AWSHealthDecoder(), EventBridgeDecoder(), AzureMonitorDecoder(),
            GoogleCloudMonitoringDecoder(), PagerDutyDecoder(), PagerDutyWebhookDecoder(), GrafanaDecoder(),
            AlertmanagerDecoder(), GrafanaLegacyDecoder(), OpsgenieDecoder(), SentryDecoder(), NewRelicDecoder(),
            EmailEnvelopeDecoder(limits: limits), GraylogDecoder(), PingdomDecoder(), Site24x7Decoder(),
            SplunkDecoder(), UptimeRobotDecoder(), VMwareAriaDecoder(), AlertaDecoder(), RiemannDecoder(),
            DatadogDecoder(), ZabbixDecoder(), GenericDecoder(),
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
        try run(input, route: route, trace: nil)
    }

    /// The one normalization path; `trace` collects the steps when an explanation was asked for.
    func run(_ input: NormalizerInput, route: SourceRoute, trace: DetectionTrace?) throws(Rejection) -> Normalization {
        if input.payload.isEmpty { throw Rejection(.emptyPayload, "the message has no bytes") }
        if input.payload.count > limits.maxPayloadBytes {
            throw Rejection(
                .payloadTooLarge,
                "the message has \(input.payload.count) bytes, the limit is \(limits.maxPayloadBytes)"
            )
        }
        let header = input.header(Self.formatHeader).map { SourceFormat($0.trimmingWhitespace()) }
        let requested = header ?? route.format
        let reads = TransportReads()
        let context = DecodeContext(
            input: input,
            options: route.options,
            reads: reads,
            decodeNested: detectAndDecode,
            nesting: 0,
            trace: trace
        )
        context.note(
            "format \(requested) from \(header != nil ? "the record header \(Self.formatHeader)" : "the route"); \(input.payload.count) bytes"
        )
        guard knownFormats.contains(requested) else {
            throw Rejection(
                .unknownFormat,
                "no decoder named \"\(requested)\"; known: \(knownFormats.map(\.name).joined(separator: ", "))"
            )
        }
        let events: [NormalizedEvent]
        if requested == .email && !Self.looksLikeJSON(input.payload)
            || requested == .auto && Self.looksLikeEmail(input.payload)
        {
            context.note("a mail: the bytes start with header lines, not JSON")
            trace?.format = .email
            events = try EmailDecoder(limits: limits).decode(input.payload, context: context)
        } else {
            let object = try parseObject(input.payload, requested: requested, context: context)
            if requested == .auto {
                events = try detectAndDecode(object, context: context)
            } else {
                let decoder = decoders.first { $0.format == requested }!
                guard decoder.recognizes(object) else {
                    throw Rejection(
                        .invalidPayload,
                        "the payload does not have the shape of \(decoder.format) (\(decoder.detectionRule)); it is \(PayloadSummary.object(object))"
                    )
                }
                context.note("\(decoder.format) recognises it: \(decoder.detectionRule)")
                trace?.format = decoder.format
                events = try decode(object, with: decoder, context: context)
            }
        }
        if events.count > limits.maxEventsPerMessage {
            throw Rejection(
                .tooManyEvents,
                "\(events.count) events in one message, the limit is \(limits.maxEventsPerMessage)"
            )
        }
        context.note("\(events.count) event\(events.count == 1 ? "" : "s")")
        return Normalization(events: events, readsTransport: reads.transport)
    }

    /// Decodes with one decoder, noting a refusal for `--explain`.
    func decode(
        _ object: JSONObject,
        with decoder: any AlertDecoder,
        context: DecodeContext
    ) throws(Rejection) -> [NormalizedEvent] {
        do {
            return try decoder.decode(object, context: context)
        } catch {
            context.note("\(decoder.format) refused it: \(error)")
            throw error
        }
    }
}

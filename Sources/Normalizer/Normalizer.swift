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

        /// Creates limits; every parameter has the documented default.
        public init(maxPayloadBytes: Int = 1 << 20, maxJSONDepth: Int = 32, maxEventsPerMessage: Int = 1000) {
            self.maxPayloadBytes = maxPayloadBytes
            self.maxJSONDepth = maxJSONDepth
            self.maxEventsPerMessage = maxEventsPerMessage
        }
    }

    /// The header that names a message's format, overriding the route's setting.
    public static let formatHeader = "ingestor-format"

    /// The limits in force.
    public var limits: Limits
    /// Options passed to every decoder.
    public var options: DecodeOptions
    private let decoders: [any AlertDecoder]

    /// Creates a normalizer with every built-in decoder.
    public init(limits: Limits = Limits(), options: DecodeOptions = DecodeOptions()) {
        self.limits = limits
        self.options = options
        self.decoders = [AlertmanagerDecoder()]
    }

    /// The formats a route may name, `auto` included.
    public var knownFormats: [SourceFormat] { [.auto] + decoders.map(\.format) }

    /// Normalizes one message.
    /// - Parameters:
    ///   - input: the bytes and their transport metadata.
    ///   - format: the route's format; the `ingestor-format` header, when present, takes precedence.
    /// - Returns: one or more events.
    /// - Throws: ``Rejection`` with a stable reason code.
    public func normalize(_ input: NormalizerInput, format: SourceFormat = .auto) throws(Rejection) -> [NormalizedEvent]
    {
        if input.payload.isEmpty { throw Rejection(.emptyPayload, "the message has no bytes") }
        if input.payload.count > limits.maxPayloadBytes {
            throw Rejection(
                .payloadTooLarge,
                "the message has \(input.payload.count) bytes, the limit is \(limits.maxPayloadBytes)"
            )
        }
        let requested = input.header(Self.formatHeader).map { SourceFormat($0) } ?? format
        let named: (any AlertDecoder)?
        if requested == .auto {
            named = nil
        } else if let decoder = decoders.first(where: { $0.format == requested }) {
            named = decoder
        } else {
            throw Rejection(
                .unknownFormat,
                "no decoder named \"\(requested)\"; known: \(knownFormats.map(\.name).joined(separator: ", "))"
            )
        }

        let document: JSONValue
        do {
            document = try JSONParser(maxDepth: limits.maxJSONDepth).parse(input.payload)
        } catch {
            throw Rejection(error.tooDeep ? .nestingTooDeep : .invalidJSON, error.message)
        }
        guard let object = document.object else {
            throw Rejection(.unrecognizedFormat, "the payload is JSON but not an object")
        }
        let decoder: any AlertDecoder
        if let named {
            guard named.recognizes(object) else {
                throw Rejection(.invalidPayload, "the payload does not have the shape of \(named.format)")
            }
            decoder = named
        } else {
            let candidates = decoders.filter { $0.recognizes(object) }
            guard candidates.count == 1, let only = candidates.first else {
                let keys = object.keys.prefix(8).joined(separator: ", ")
                throw Rejection(
                    .unrecognizedFormat,
                    candidates.isEmpty
                        ? "no decoder recognises an object with keys [\(keys)]"
                        : "ambiguous shape: \(candidates.map(\.format.name).joined(separator: ", ")) all match"
                )
            }
            decoder = only
        }
        let events = try decoder.decode(object, input: input, options: options)
        if events.count > limits.maxEventsPerMessage {
            throw Rejection(
                .tooManyEvents,
                "\(events.count) events in one message, the limit is \(limits.maxEventsPerMessage)"
            )
        }
        return events
    }
}

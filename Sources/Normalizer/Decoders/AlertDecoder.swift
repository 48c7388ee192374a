/// Turns one recognised JSON payload into events.
///
/// A decoder is a pure function of its input; it never performs I/O and never reads a clock.
public protocol AlertDecoder: Sendable {
    /// The format this decoder implements.
    var format: SourceFormat { get }

    /// Its place in auto-detection, lower first (the most specific shapes are tried first);
    /// `nil` for formats whose bodies are user templates and are therefore chosen by route only.
    var detectionRank: Int? { get }

    /// Whether `object` has this decoder's distinctive keys.
    func recognizes(_ object: JSONObject) -> Bool

    /// The rule ``recognizes(_:)`` applies, in words, for `ingestor normalize --explain`
    /// (e.g. "`alerts[]` + `groupKey` + `orgId`, or `version` \"1\"").
    var detectionRule: String { get }

    /// Whether real senders of this format repeat a member name in one object, so that a payload that does is read
    /// with the last value winning instead of being refused as `invalid_json`; default `false`.
    var acceptsRepeatedKeys: Bool { get }

    /// Decodes a payload already known to be this decoder's format.
    /// - Throws: ``Rejection`` with ``Rejection/Code/invalidPayload`` when a required field is missing or wrong.
    func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent]
}

extension AlertDecoder {
    public var acceptsRepeatedKeys: Bool { false }
}

/// What a decoder may read besides the payload: the transport metadata, the route's options, and a way to decode
/// a payload nested inside this one (an SNS envelope's `Message`).
public struct DecodeContext: Sendable {
    /// The message and its transport metadata. Reading it (or ``receivedAt``) marks the decode as depending on
    /// more than the payload, so its events are never reused for another record with the same bytes.
    public var input: NormalizerInput {
        reads.transport = true
        return transport
    }
    /// The message bytes; the same for every record with these bytes, so reading them marks nothing.
    public var payload: [UInt8] { transport.payload }
    /// The route's options.
    public let options: DecodeOptions
    let transport: NormalizerInput
    let reads: TransportReads
    let decodeNested: @Sendable (JSONObject, DecodeContext) throws(Rejection) -> [NormalizedEvent]
    let nesting: Int
    /// Where ``note(_:)`` writes when the caller asked for an explanation; `nil` otherwise, so notes cost nothing.
    let trace: DetectionTrace?

    init(
        input: NormalizerInput,
        options: DecodeOptions,
        reads: TransportReads,
        decodeNested: @escaping @Sendable (JSONObject, DecodeContext) throws(Rejection) -> [NormalizedEvent],
        nesting: Int,
        trace: DetectionTrace? = nil
    ) {
        self.transport = input
        self.options = options
        self.reads = reads
        self.decodeNested = decodeNested
        self.nesting = nesting
        self.trace = trace
    }

    /// The same context one payload deeper (an SNS envelope's `Message`).
    func nested() -> DecodeContext {
        DecodeContext(
            input: transport,
            options: options,
            reads: reads,
            decodeNested: decodeNested,
            nesting: nesting + 1,
            trace: trace
        )
    }

    /// Records a step of detection or decoding for `ingestor normalize --explain`; evaluated only when an
    /// explanation was asked for.
    public func note(_ line: @autoclosure () -> String) {
        guard let trace else { return }
        trace.append(String(repeating: "  ", count: nesting) + line())
    }

    /// Decodes a JSON object found inside this payload through auto-detection, at most one level deep.
    /// - Throws: ``Rejection`` with ``Rejection/Code/unrecognizedFormat`` for an unknown inner shape.
    public func decodeInner(_ object: JSONObject) throws(Rejection) -> [NormalizedEvent] {
        guard nesting == 0 else {
            throw Rejection(.unrecognizedFormat, "payloads nested more than one level deep are not decoded")
        }
        let inner = nested()
        inner.note("the inner payload is \(PayloadSummary.object(object))")
        return try decodeNested(object, inner)
    }

    /// Maps a source severity word, recording the raw word as the `source_severity` label when it is unknown.
    public func severity(_ word: String?, labels: inout [String: String]) -> Severity {
        guard let word, let nonEmpty = word.nonEmpty else { return options.defaultSeverity }
        if let known = Severity(vocabulary: nonEmpty) { return known }
        labels["source_severity"] = nonEmpty
        return options.defaultSeverity
    }

    /// The time a payload without one is given: the transport's record timestamp.
    public var receivedAt: Timestamp? { input.receivedAt }
}

/// The steps of one normalization, for `ingestor normalize --explain`. One per call, never shared between threads.
final class DetectionTrace: @unchecked Sendable {
    private(set) var lines: [String] = []
    /// The decoder that took the payload at the top level.
    var format: SourceFormat?

    func append(_ line: String) { lines.append(line) }
}

/// Whether one normalization read the transport's metadata (record timestamp, record id, headers) through its
/// ``DecodeContext``. One per call, never shared between threads.
final class TransportReads: @unchecked Sendable {
    var transport = false
}

/// Settings a route gives its decoders.
public struct DecodeOptions: Sendable, Hashable {
    /// Severity for events whose source states none or an unknown word; default `medium`.
    public var defaultSeverity: Severity
    /// In `auto` mode, decode JSON objects no decoder recognises with the generic mapping instead of rejecting
    /// them as `unrecognized_format`; default off.
    public var genericFallback: Bool = false
    /// Field paths and value maps of the generic JSON decoder.
    public var generic: GenericMapping = GenericMapping()
    /// How email is read: status and dedup patterns, charset fallback, allowed automatic senders.
    public var email: EmailOptions = EmailOptions()
    /// Zabbix sends dates without a zone: the Zabbix server's offset from UTC; default zero.
    public var zabbixUTCOffset: Duration = .zero

    /// Creates options.
    public init(defaultSeverity: Severity = .medium) {
        self.defaultSeverity = defaultSeverity
    }
}

/// A route: the format to decode a source with and the options for it.
public struct SourceRoute: Sendable, Hashable {
    /// The decoder, or `auto`.
    public var format: SourceFormat
    /// The decoders' options.
    public var options: DecodeOptions

    /// Creates a route.
    public init(format: SourceFormat = .auto, options: DecodeOptions = DecodeOptions()) {
        self.format = format
        self.options = options
    }
}

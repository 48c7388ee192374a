/// Turns one recognised JSON payload into events.
///
/// A decoder is a pure function of its input; it never performs I/O and never reads a clock.
public protocol AlertDecoder: Sendable {
    /// The format this decoder implements.
    var format: SourceFormat { get }

    /// Whether `object` has this decoder's distinctive keys (INPUT-FORMATS.md §0.1).
    func recognizes(_ object: JSONObject) -> Bool

    /// Decodes a payload already known to be this decoder's format.
    /// - Throws: ``Rejection`` with ``Rejection/Code/invalidPayload`` when a required field is missing or wrong.
    func decode(
        _ object: JSONObject,
        input: NormalizerInput,
        options: DecodeOptions
    ) throws(Rejection) -> [NormalizedEvent]
}

/// Settings every decoder reads.
public struct DecodeOptions: Sendable {
    /// Severity for events whose source states none or an unknown word; default `medium`.
    public var defaultSeverity: Severity

    /// Creates options.
    public init(defaultSeverity: Severity = .medium) {
        self.defaultSeverity = defaultSeverity
    }

    /// Maps a source severity word, recording the raw word as the `source_severity` label when it is unknown.
    func severity(_ word: String?, labels: inout [String: String]) -> Severity {
        guard let word, let nonEmpty = word.nonEmpty else { return defaultSeverity }
        if let known = Severity(vocabulary: nonEmpty) { return known }
        labels["source_severity"] = nonEmpty
        return defaultSeverity
    }
}

/// Telling formats apart: mail from JSON, then one JSON shape from another: explicit markers first
/// (the route, the `ingestor-format` header), then the most specific shapes; never a guess.
extension Normalizer {
    /// Parses the payload as one JSON object.
    ///
    /// A member name written twice with different values is refused as `invalid_json`, unless the decoder that
    /// would take the payload reads a sender known to do that (``AlertDecoder/acceptsRepeatedKeys``): then the
    /// last value wins, as most parsers do.
    func parseObject(
        _ payload: [UInt8],
        requested: SourceFormat,
        context: DecodeContext
    ) throws(Rejection) -> JSONObject {
        let document: JSONValue
        do {
            document = try JSONParser(maxDepth: limits.maxJSONDepth).parse(payload)
        } catch {
            if error.tooDeep { throw Rejection(.nestingTooDeep, error.message) }
            if let member = error.repeatedMember, let object = lenientObject(payload, requested: requested) {
                context.note(
                    "member \"\(member)\" is written twice; senders of this shape do that: the last value wins"
                )
                return object
            }
            throw Rejection(.invalidJSON, "\(error.message); the payload is \(PayloadSummary.bytes(payload))")
        }
        if case .array(let elements) = document, requested == .generic {
            // A top-level array: the generic decoder reads its elements as events, at the path `$`.
            context.note("a JSON array of \(elements.count) elements: read through the generic events path `$`")
            return JSONObject([(GenericMapping.topLevelArrayPath, document)])
        }
        guard let object = document.object else {
            throw Rejection(.unrecognizedFormat, "the payload is \(PayloadSummary.document(document)), not an object")
        }
        context.note("the payload is \(PayloadSummary.object(object))")
        return object
    }

    /// The payload read with repeated members allowed, if a decoder that accepts them would take it.
    private func lenientObject(_ payload: [UInt8], requested: SourceFormat) -> JSONObject? {
        let lenient = JSONParser(maxDepth: limits.maxJSONDepth, repeatedMembers: .lastWins)
        guard let object = (try? lenient.parse(payload))?.object else { return nil }
        let decoder =
            requested == .auto
            ? decoders.first { $0.detectionRank != nil && $0.recognizes(object) }
            : decoders.first { $0.format == requested }
        guard let decoder, decoder.acceptsRepeatedKeys, decoder.recognizes(object) else { return nil }
        return object
    }

    /// Auto-detection: the first decoder (in rank order) that recognises the shape, provided no other decoder of
    /// the same rank does too; never a guess.
    func detectAndDecode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let candidates = decoders.filter { $0.detectionRank != nil && $0.recognizes(object) }
        for candidate in candidates {
            context.note("\(candidate.format) recognises it: \(candidate.detectionRule)")
        }
        if let first = candidates.first {
            let ties = candidates.filter { $0.detectionRank == first.detectionRank }
            guard ties.count == 1 else {
                throw Rejection(
                    .unrecognizedFormat,
                    "ambiguous shape: \(ties.map(\.format.name).joined(separator: ", ")) all match"
                )
            }
            if candidates.count > 1 { context.note("\(first.format) is the most specific of those") }
            if context.nesting == 0 { context.trace?.format = first.format }
            return try decode(object, with: first, context: context)
        }
        if context.options.genericFallback {
            context.note("no decoder's rule matches; generic_fallback reads it with the generic field paths")
            if context.nesting == 0 { context.trace?.format = .generic }
            return try decode(object, with: GenericDecoder(), context: context)
        }
        context.note("no decoder's rule matches, and the route does not allow generic_fallback")
        throw Rejection(
            .unrecognizedFormat,
            "\(PayloadSummary.object(object)) that no decoder recognises; name its format on the topic, or map it with generic"
        )
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

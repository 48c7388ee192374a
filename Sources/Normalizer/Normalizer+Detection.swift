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
        // The first match in rank order decides; asking every other decoder is only for an explanation (and for a
        // decoder sharing the first one's rank, which would make the shape ambiguous).
        if let first = decoders.first(where: { $0.detectionRank != nil && $0.recognizes(object) }) {
            if context.trace != nil {
                let candidates = decoders.filter { $0.detectionRank != nil && $0.recognizes(object) }
                for candidate in candidates {
                    context.note("\(candidate.format) recognises it: \(candidate.detectionRule)")
                }
                if candidates.count > 1 { context.note("\(first.format) is the most specific of those") }
            }
            let ties = decoders.filter {
                $0.detectionRank == first.detectionRank && $0.format != first.format && $0.recognizes(object)
            }
            guard ties.isEmpty else {
                throw Rejection(
                    .unrecognizedFormat,
                    "ambiguous shape: \(([first] + ties).map(\.format.name).joined(separator: ", ")) all match"
                )
            }
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

    /// Whether the bytes are an RFC 5322 message: not JSON, and header lines (`Name: value`, or the obsolete
    /// `Name : value`) before the first empty line, whatever the first line looks like. A first line that is folded,
    /// corrupt or an mbox `From ` line does not hide the header lines after it.
    static func looksLikeEmail(_ bytes: [UInt8]) -> Bool {
        guard !looksLikeJSON(bytes) else { return false }
        var headerLines = 0
        var otherLines = 0
        var lineStart = 0
        // Looking at the first 32 lines (at most 8 KiB) is enough: a mail's header section starts there.
        let end = min(bytes.count, 8192)
        while lineStart < end, headerLines + otherLines < 32 {
            var lineEnd = lineStart
            while lineEnd < end, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            var line = bytes[lineStart..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { break }
            if line.first == 0x20 || line.first == 0x09 {
                // A folded continuation; at the very top it is a defect, not a reason to stop.
            } else if MailHeaders.fieldName(in: line) != nil {
                headerLines += 1
            } else if !line.starts(with: Array("From ".utf8)) {
                otherLines += 1
            }
            lineStart = lineEnd + 1
        }
        // One header line among garbage is a coincidence (`note: something`); two, or more header lines than other
        // lines, is a header section.
        return headerLines >= 2 || (headerLines == 1 && otherLines == 0)
    }
}

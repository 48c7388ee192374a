/// One node of a message's MIME tree.
struct MIMEPart {
    /// What parsing a message may still spend: parts and header fields left, against the limits.
    struct Budget {
        var limits: Normalizer.Limits
        var parts = 0
        var headerFields = 0
        var defects: Set<String> = []
    }

    var headers: MailHeaders
    var contentType: HeaderParameters
    var disposition: HeaderParameters?
    var transferEncoding: String?
    /// The body bytes, still transfer-encoded.
    var body: ArraySlice<UInt8>
    var children: [MIMEPart] = []
    var depth: Int

    var mediaType: String { contentType.value.isEmpty ? "text/plain" : contentType.value }
    var isMultipart: Bool { mediaType.hasPrefix("multipart/") }
    var charset: String? { contentType.parameters["charset"] }
    var filename: String? { disposition?.parameters["filename"] ?? contentType.parameters["name"] }
    var isAttachment: Bool { disposition?.value == "attachment" || (filename != nil && !mediaType.hasPrefix("text/")) }

    /// The parts that are not multiparts, depth first, at most `limit` of them (embedded messages are leaves).
    func leaves(limit: Int) -> [MIMEPart] {
        var found: [MIMEPart] = []
        var stack = [self]
        while let part = stack.popLast(), found.count < limit {
            if part.isMultipart {
                stack.append(contentsOf: part.children.reversed())
            } else {
                found.append(part)
            }
        }
        return found
    }

    /// The body with its transfer encoding undone.
    var decodedBody: [UInt8] { TransferEncoding.decode(body, encoding: transferEncoding) }

    /// Parses a message or part: its headers, then its body, recursing into multiparts.
    /// - Throws: ``Rejection`` when a limit in `budget` is exceeded.
    static func parse(
        _ bytes: ArraySlice<UInt8>,
        depth: Int,
        budget: inout Budget,
        fallback: String
    ) throws(Rejection) -> MIMEPart {
        budget.parts += 1
        if budget.parts > budget.limits.maxMIMEParts {
            throw Rejection(.tooManyParts, "more than \(budget.limits.maxMIMEParts) MIME parts")
        }
        if depth > budget.limits.maxMIMEDepth {
            throw Rejection(.mimeTooDeep, "MIME parts nest deeper than \(budget.limits.maxMIMEDepth)")
        }
        let headers = try MailHeaders(
            parsing: bytes,
            maxCount: budget.limits.maxHeaderCount,
            maxFieldBytes: budget.limits.maxHeaderBytes,
            count: &budget.headerFields
        )
        budget.defects.formUnion(headers.defects)
        let contentType = HeaderParameters(headers.plain("Content-Type") ?? "text/plain", fallback: fallback)
        let disposition = headers.plain("Content-Disposition").map { HeaderParameters($0, fallback: fallback) }
        var part = MIMEPart(
            headers: headers,
            contentType: contentType,
            disposition: disposition,
            transferEncoding: headers.plain("Content-Transfer-Encoding"),
            body: bytes[headers.bodyStart...],
            depth: depth
        )
        guard part.isMultipart else { return part }
        var multipartBody = part.body
        if let encoding = part.transferEncoding?.lowercased(),
            encoding.contains("base64") || encoding == "quoted-printable"
        {
            // Invalid on a multipart, but seen: decode first.
            budget.defects.insert("encoded_multipart")
            multipartBody = ArraySlice(part.decodedBody)
        }
        guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty else {
            budget.defects.insert("missing_boundary")
            part.contentType = HeaderParameters("text/plain", fallback: fallback)
            return part
        }
        let sections = split(multipartBody, boundary: Array(boundary.utf8), defects: &budget.defects)
        if sections.isEmpty {
            // No delimiter at all: a broken boundary. Keep the body as text rather than losing it.
            budget.defects.insert("boundary_not_found")
            part.contentType = HeaderParameters("text/plain", fallback: fallback)
            part.body = multipartBody
            return part
        }
        for section in sections {
            part.children.append(try parse(section, depth: depth + 1, budget: &budget, fallback: fallback))
        }
        return part
    }

    /// Splits a multipart body at `--boundary` lines (RFC 2046 §5.1): preamble and epilogue dropped, the line break
    /// before a delimiter belongs to it, a missing close delimiter ends at the end of the bytes.
    static func split(_ body: ArraySlice<UInt8>, boundary: [UInt8], defects: inout Set<String>) -> [ArraySlice<UInt8>] {
        let delimiter = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
        var sections: [ArraySlice<UInt8>] = []
        var sectionStart: Int?
        var index = body.startIndex
        var closed = false
        while index < body.endIndex {
            let lineEnd = MailHeaders.lineEnd(body, from: index)
            let line = body[index..<lineEnd]
            if line.starts(with: delimiter) {
                let rest = line.dropFirst(delimiter.count)
                let isClose = rest.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")])
                if rest.isEmpty || isClose || rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    if let start = sectionStart {
                        var end = index
                        if end > start, body[end - 1] == 0x0A { end -= 1 }
                        if end > start, body[end - 1] == 0x0D { end -= 1 }
                        sections.append(body[start..<max(start, end)])
                    }
                    if isClose {
                        closed = true
                        break
                    }
                    sectionStart = lineEnd < body.endIndex ? lineEnd + 1 : lineEnd
                }
            }
            index = lineEnd < body.endIndex ? lineEnd + 1 : lineEnd
        }
        if !closed, let start = sectionStart {
            defects.insert("missing_close_delimiter")
            sections.append(body[start..<body.endIndex])
        }
        return sections
    }
}

import Synchronization

/// Email-derived events from raw RFC 5322 messages (INPUT-FORMATS.md §14).
///
/// Bounces, delivery reports, automatic replies and list mail are rejected with their own reason codes. A human
/// reply in a thread becomes a reply event (a comment on the incident its thread opened). Tool mail (Nagios,
/// Icinga, Checkmk, Zabbix, Monit, Alertmanager, CloudWatch) is recognised by patterns that give status and the
/// problem's identity. Text comes from text/plain, or from HTML turned into text; attachments are listed.
struct EmailDecoder {
    var limits: Normalizer.Limits

    func decode(_ bytes: [UInt8], context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let options = context.options.email
        let fallback = options.fallbackCharset
        var budget = MIMEPart.Budget(limits: limits)
        let message = try MIMEPart.parse(bytes[...], depth: 0, budget: &budget, fallback: fallback)
        let headers = message.headers
        guard !headers.fields.isEmpty else {
            throw Rejection(.invalidEmail, "no header fields: this is not an email message")
        }

        var guessed = false
        let subject = headers.text("Subject", fallback: fallback, guessed: &guessed) ?? ""
        let from = headers.text("From", fallback: fallback, guessed: &guessed) ?? ""
        let sender = Self.address(in: from)
        try Self.rejectAutomatic(message, subject: subject, sender: sender, options: options)

        // The body text and the attachments.
        var attachments: [NormalizedEvent.Attachment] = []
        let body = Self.bodyText(message, attachments: &attachments, fallback: fallback, guessed: &guessed)
        if body.utf8.count > limits.maxEmailTextBytes {
            throw Rejection(
                .emailTooLarge,
                "the decoded text has \(body.utf8.count) bytes, the limit is \(limits.maxEmailTextBytes)"
            )
        }

        var labels = LabelBuilder()
        labels.set("email_from", sender)
        labels.set("email_subject", subject)
        let messageID = Self.messageIDs(headers.plain("Message-ID")).first
        labels.set("email_message_id", messageID)
        let threadRoot =
            Self.messageIDs(headers.plain("References")).first ?? Self.messageIDs(headers.plain("In-Reply-To")).first
            ?? messageID
        labels.set("thread_root", threadRoot)
        if guessed { labels.set("charset_guessed", "true") }
        if !budget.defects.isEmpty { labels.set("mime_defect", budget.defects.sorted().joined(separator: ",")) }
        let occurred = headers.plain("Date").flatMap(MailDate.parse) ?? context.receivedAt

        let inThread = headers.raw("In-Reply-To") != nil || headers.raw("References") != nil
        let replyPrefix = Self.baseSubject(subject).count < subject.trimmingWhitespace().count
        let configuredKey = try Self.configuredKey(options.dedupPattern, subject: subject, body: body)

        // A person's reply in a thread: a comment on the incident the thread opened, never a new incident.
        if inThread && replyPrefix, let threadRoot {
            return [
                NormalizedEvent(
                    source: "email",
                    dedupKey: configuredKey.map { "email:key:\($0)" } ?? "email:thread:\(threadRoot)",
                    status: .firing,
                    severity: context.options.defaultSeverity,
                    title: Self.baseSubject(subject).nonEmpty ?? "(no subject)",
                    description: body,
                    labels: labels.labels,
                    links: [],
                    occurredAt: occurred,
                    isReply: true,
                    attachments: attachments,
                    opensIncident: false
                )
            ]
        }

        let match = try Self.matchTool(options.patterns, subject: subject, body: body)
        var status = AlertStatus.firing
        var severityWord: String?
        var key: String
        var title = Self.baseSubject(subject).nonEmpty ?? "(no subject)"
        if let match {
            guard let matched = match.status else { return [] }  // informational mail: flapping, downtime, …
            status = matched
            severityWord = match.groups["state"]
            labels.set("email_tool", match.pattern.name)
            for name in ["host", "service", "state", "id", "region"] { labels.set(name, match.groups[name]) }
            let identity = match.pattern.identity.compactMap { match.groups[$0]?.nonEmpty }
            let identityText =
                identity.isEmpty
                ? Self.subjectIdentity(subject, removing: match.groups["type"]) : identity.joined(separator: "/")
            key = "email:\(match.pattern.name):\(identityText)"
            if let explicit = match.groups["title"]?.nonEmpty {
                title = explicit
            } else if let host = match.groups["host"]?.nonEmpty {
                title = match.groups["service"]?.nonEmpty.map { "\($0) on \(host)" } ?? host
            }
        } else if let threadRoot {
            key = "email:thread:\(threadRoot)"
        } else {
            key =
                "email:subject:"
                + String(FNV1a.hash(Self.subjectIdentity(subject, removing: nil) + "|" + (sender ?? "")), radix: 16)
        }
        if let configuredKey { key = "email:key:\(configuredKey)" }
        var all = labels.labels
        let severity = Self.mailSeverity(severityWord) ?? context.severity(severityWord, labels: &all)
        return [
            NormalizedEvent(
                source: "email",
                dedupKey: key,
                status: status,
                severity: severity,
                title: title,
                description: body,
                labels: all,
                links: [],
                occurredAt: occurred,
                resolvedAt: status == .resolved ? occurred : nil,
                attachments: attachments
            )
        ]
    }

    // MARK: - Automatic mail

    /// Rejects bounces, reports, automatic replies and list mail, in the order of INPUT-FORMATS.md §14.6.
    static func rejectAutomatic(
        _ message: MIMEPart,
        subject: String,
        sender: String?,
        options: EmailOptions
    ) throws(Rejection) {
        let headers = message.headers
        let lowerSubject = subject.lowercased()
        if message.mediaType == "multipart/report" {
            let reportType = message.contentType.parameters["report-type"]?.lowercased() ?? ""
            if reportType.contains("delivery-status") {
                throw Rejection(.bounce, "a delivery status notification (multipart/report; report-type=\(reportType))")
            }
            throw Rejection(.deliveryReport, "a \(reportType.isEmpty ? "machine" : reportType) report, not an alert")
        }
        let returnPath = headers.plain("Return-Path")?.trimmingWhitespace()
        let localPart = sender?.split(separator: "@").first.map { $0.lowercased() }
        let bounceSubjects = [
            "undelivered mail returned to sender", "mail delivery failed", "delivery status notification (failure)",
            "delivery status notification (delay)", "undeliverable:", "returned mail:", "failure notice",
            "mail delivery system",
        ]
        if returnPath == "<>" || localPart == "mailer-daemon" || localPart == "postmaster"
            || headers.raw("X-Failed-Recipients") != nil
            || bounceSubjects.contains(where: { lowerSubject.hasPrefix($0) })
        {
            throw Rejection(.bounce, "a bounce from \(sender ?? "the mail system"): \(subject)")
        }
        let autoSubmitted = headers.plain("Auto-Submitted")?.trimmingWhitespace().lowercased() ?? "no"
        let precedence = headers.plain("Precedence")?.trimmingWhitespace().lowercased()
        if autoSubmitted.hasPrefix("auto-replied") || autoSubmitted.hasPrefix("auto-notified")
            || precedence == "auto_reply"
            || headers.raw("X-Autoreply") != nil || headers.raw("X-Autorespond") != nil
            || options.autoReplySubjects.contains(where: { lowerSubject.hasPrefix($0) })
        {
            throw Rejection(.autoReply, "an automatic reply from \(sender ?? "?"): \(subject)")
        }
        if autoSubmitted.hasPrefix("auto-generated"), !options.automaticSenders.isEmpty {
            let allowed = options.automaticSenders.contains { entry in
                let entry = entry.lowercased()
                return entry.hasPrefix("@")
                    ? sender?.lowercased().hasSuffix(entry) == true : sender?.lowercased() == entry
            }
            if !allowed {
                throw Rejection(.autoReply, "automatic mail from \(sender ?? "?"), which is not an allowed sender")
            }
        }
        if !options.acceptLists,
            headers.raw("List-Id") != nil || headers.raw("List-Unsubscribe") != nil
                || ["bulk", "junk", "list"].contains(precedence ?? "")
        {
            throw Rejection(.mailingList, "list or bulk mail from \(sender ?? "?"): \(subject)")
        }
    }

    // MARK: - Text

    /// The message's text: the last text/plain of an alternative, else its HTML as text; other inline text parts
    /// of a mixed message are appended; attachments are listed instead.
    static func bodyText(
        _ part: MIMEPart,
        attachments: inout [NormalizedEvent.Attachment],
        fallback: String,
        guessed: inout Bool
    ) -> String {
        if part.isMultipart {
            if part.mediaType == "multipart/alternative" {
                var chosen: MIMEPart?
                for child in part.children where !child.isAttachment {
                    if child.mediaType == "text/plain" || child.isMultipart { chosen = child }
                }
                if chosen == nil { chosen = part.children.last { $0.mediaType == "text/html" } }
                for child in part.children where child.isAttachment { attachments.append(attachment(child)) }
                guard let chosen else { return "" }
                return bodyText(chosen, attachments: &attachments, fallback: fallback, guessed: &guessed)
            }
            var texts: [String] = []
            for child in part.children {
                let text = bodyText(child, attachments: &attachments, fallback: fallback, guessed: &guessed)
                if !text.isEmpty { texts.append(text) }
            }
            return texts.joined(separator: "\n\n")
        }
        if part.isAttachment || part.mediaType == "application/ms-tnef" {
            attachments.append(attachment(part))
            return ""
        }
        switch part.mediaType {
        case "text/plain":
            return Charset.decode(part.decodedBody, label: part.charset, fallback: fallback, guessed: &guessed)
                .replacingLineEndings().trimmingWhitespace()
        case "text/html":
            return HTMLText.text(
                from: Charset.decode(part.decodedBody, label: part.charset, fallback: fallback, guessed: &guessed)
            )
        case "message/rfc822", "message/global", "text/rfc822-headers", "message/delivery-status":
            return ""
        default:
            attachments.append(attachment(part))
            return ""
        }
    }

    static func attachment(_ part: MIMEPart) -> NormalizedEvent.Attachment {
        NormalizedEvent.Attachment(filename: part.filename, contentType: part.mediaType, size: part.decodedBody.count)
    }

    // MARK: - Patterns

    struct ToolMatch {
        var pattern: EmailPattern
        var groups: [String: String]
        /// `nil` for informational mail.
        var status: AlertStatus?
    }

    static let groupNames = ["type", "state", "host", "service", "id", "title", "region"]

    static func matchTool(_ patterns: [EmailPattern], subject: String, body: String) throws(Rejection) -> ToolMatch? {
        let trimmed = subject.trimmingWhitespace()
        for pattern in patterns {
            guard let subjectRegex = compile(pattern.subject), let match = try? subjectRegex.wholeMatch(in: trimmed)
            else { continue }
            var groups: [String: String] = [:]
            for name in groupNames {
                if let value = match.output[name]?.substring { groups[name] = String(value).trimmingWhitespace() }
            }
            for bodyPattern in pattern.body {
                guard let regex = compile(bodyPattern), let bodyMatch = try? regex.firstMatch(in: body) else {
                    continue
                }
                for name in groupNames where groups[name] == nil {
                    if let value = bodyMatch.output[name]?.substring {
                        groups[name] = String(value).trimmingWhitespace()
                    }
                }
            }
            return ToolMatch(pattern: pattern, groups: groups, status: status(of: pattern, groups: groups))
        }
        return nil
    }

    static func status(of pattern: EmailPattern, groups: [String: String]) -> AlertStatus? {
        func lookup(_ word: String) -> AlertStatus? {
            let lower = word.lowercased()
            return pattern.statusWords.first { lower.contains($0.word) }?.status
        }
        if let type = groups["type"]?.nonEmpty { return lookup(type) }
        if let fixed = pattern.fixedStatus { return fixed }
        if let state = groups["state"]?.nonEmpty, !pattern.statusWords.isEmpty { return lookup(state) }
        return .firing
    }

    /// Patterns are case-sensitive, as tools' templates are; a pattern opts into case-insensitivity with `(?i)`.
    /// Compiled patterns by source text. Compiling a Swift `Regex` costs more than decoding a whole mail, and the
    /// same few patterns serve every message; a pattern that does not compile is remembered as `nil`.
    private static let compiled = Mutex<[String: CompiledPattern]>([:])

    /// A compiled regex, shared between threads. `Regex<AnyRegexOutput>` is not `Sendable` only because its output
    /// type is not; the program is immutable once built and its lazy lowering is initialized atomically.
    private final class CompiledPattern: @unchecked Sendable {
        let regex: Regex<AnyRegexOutput>?
        init(_ pattern: String) { regex = try? Regex(pattern) }
    }

    static func compile(_ pattern: String) -> Regex<AnyRegexOutput>? {
        if let known = compiled.withLock({ $0[pattern] }) { return known.regex }
        let entry = CompiledPattern(pattern)
        compiled.withLock { cache in
            // Patterns come from the configuration; the bound only guards against a caller generating them.
            if cache.count >= 1024 { cache.removeAll() }
            cache[pattern] = entry
        }
        return entry.regex
    }

    static func configuredKey(_ pattern: String?, subject: String, body: String) throws(Rejection) -> String? {
        guard let pattern else { return nil }
        guard let regex = compile(pattern) else {
            throw Rejection(.invalidPayload, "email: dedup pattern does not compile")
        }
        for text in [subject, body] {
            if let match = try? regex.firstMatch(in: text), let key = match.output["key"]?.substring {
                return String(key).trimmingWhitespace().nonEmpty
            }
        }
        return nil
    }

    /// Severity from a tool's state word (CRITICAL, WARNING, DOWN, …).
    static func mailSeverity(_ state: String?) -> Severity? {
        switch state?.lowercased() {
        case "crit", "critical", "down", "disaster": .critical
        case "unreach", "unreachable", "high": .high
        case "warn", "warning", "average": .medium
        case "unknown", "unkn": .low
        default: nil
        }
    }

    // MARK: - Subjects and addresses

    private static let replyPrefixes = [
        "re", "fwd", "fw", "aw", "sv", "tr", "wg", "antw", "vs", "vl", "rif", "r", "ref",
    ]

    /// The subject without reply and forward prefixes or leading `[tag]`s (RFC 5256 §2.1 plus localized prefixes).
    static func baseSubject(_ subject: String) -> String {
        var text = subject.trimmingWhitespace()
        var changed = true
        while changed {
            changed = false
            let lower = text.lowercased()
            for prefix in replyPrefixes {
                guard lower.hasPrefix(prefix) else { continue }
                var rest = text.dropFirst(prefix.count)
                if rest.hasPrefix("["), let close = rest.firstIndex(of: "]"),
                    rest[rest.index(after: rest.startIndex)..<close].allSatisfy(\.isNumber)
                {
                    rest = rest[rest.index(after: close)...]
                }
                rest = rest.drop { $0 == " " }
                if rest.hasPrefix(":") {
                    text = String(rest.dropFirst()).trimmingWhitespace()
                    changed = true
                    break
                }
            }
            if !changed, text.hasPrefix("["), let close = text.lastIndex(of: "]"),
                text[..<close].lowercased().hasPrefix("[fwd:"), text.index(after: close) == text.endIndex
            {
                // RFC 5256: "[fwd: subject]" wraps the forwarded subject.
                text = String(text[text.index(text.startIndex, offsetBy: 5)..<close]).trimmingWhitespace()
                changed = true
            }
            if !changed, text.hasPrefix("["), let close = text.firstIndex(of: "]"),
                text.index(after: close) < text.endIndex
            {
                let tag = text[text.index(after: text.startIndex)..<close].lowercased()
                if tag.count <= 20, !tag.contains(":") {
                    text = String(text[text.index(after: close)...]).trimmingWhitespace()
                    changed = true
                }
            }
            if text.lowercased().hasSuffix("(fwd)") {
                text = String(text.dropLast(5)).trimmingWhitespace()
                changed = true
            }
        }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// A stable identity from a subject: the base subject without the status word, lower-cased, spaces collapsed.
    static func subjectIdentity(_ subject: String, removing word: String?) -> String {
        var text = baseSubject(subject).lowercased()
        if let word = word?.lowercased(), !word.isEmpty, let range = text.firstRange(of: word) {
            text.removeSubrange(range)
        }
        return text.split { $0 == " " || $0 == ":" || $0 == "-" || $0 == "\t" }.joined(separator: " ")
    }

    /// The address in `Name <address>` or a bare address.
    static func address(in text: String) -> String? {
        if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            return String(text[text.index(after: open)..<close]).trimmingWhitespace().nonEmpty
        }
        return text.split(separator: " ").first { $0.contains("@") }.map(String.init)
    }

    /// Message ids in a `Message-ID`, `In-Reply-To` or `References` value: angle-bracketed ids, tolerating
    /// comments, stray text and ids without brackets (INPUT-FORMATS.md §14.4).
    static func messageIDs(_ value: String?) -> [String] {
        guard let value = value.map({ HeaderParameters.stripComments($0) }) else { return [] }
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[rest.index(after: open)..<close].trimmingCharacters()
            if !id.isEmpty { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            ids = value.split { $0 == " " || $0 == "\t" || $0 == "," }.filter { $0.contains("@") }.map(String.init)
        }
        return ids
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String { String(self).trimmingWhitespace() }
}

extension String {
    /// CRLF and CR line endings as LF; one pass over the bytes (Character-level splitting cost more than the rest
    /// of a mail's decoding together).
    func replacingLineEndings() -> String {
        var text = self
        return text.withUTF8 { bytes in
            guard bytes.contains(0x0D) else { return self }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count)
            var previousCR = false
            for byte in bytes {
                if byte == 0x0A && previousCR {
                    previousCR = false
                    continue
                }
                previousCR = byte == 0x0D
                output.append(previousCR ? 0x0A : byte)
            }
            return String(decoding: output, as: UTF8.self)
        }
    }
}

/// A JSON envelope carrying a raw email: `{"rfc822": "<message>", "encoding": "base64"|"plain"}` (plain by default).
public struct EmailEnvelopeDecoder: AlertDecoder {
    let limits: Normalizer.Limits

    /// Creates the decoder with the normalizer's limits.
    public init(limits: Normalizer.Limits) {
        self.limits = limits
    }

    public var format: SourceFormat { .email }
    public var detectionRank: Int? { 15 }
    public var detectionRule: String { "`rfc822` (a string: the raw message)" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["rfc822"]?.string != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let raw = object["rfc822"]?.string else {
            throw Rejection(.invalidPayload, "email envelope: rfc822 is required")
        }
        let bytes: [UInt8]
        switch object.text("encoding")?.lowercased() ?? "plain" {
        case "base64": bytes = TransferEncoding.base64(Array(raw.utf8))
        case "plain": bytes = Array(raw.utf8)
        case let other: throw Rejection(.invalidPayload, "email envelope: encoding \(other) is not base64 or plain")
        }
        guard !bytes.isEmpty else { throw Rejection(.invalidEmail, "email envelope: the message is empty") }
        return try EmailDecoder(limits: limits).decode(bytes, context: context)
    }
}

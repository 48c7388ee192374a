/// Email-derived events from raw RFC 5322 messages (RFC 5322, MIME: RFC 2045–2049).
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
        let base = Self.baseSubject(subject)
        // The body text and the attachments.
        var attachments: [NormalizedEvent.Attachment] = []
        let body = Self.bodyText(message, attachments: &attachments, fallback: fallback, guessed: &guessed)
        try Self.rejectAutomatic(
            message,
            subject: subject,
            base: base,
            sender: sender,
            body: body,
            options: options
        )
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
        let replyPrefix = base.count < subject.trimmingWhitespace().count
        let configuredKey = try Self.configuredKey(options.dedupPattern, subject: subject, body: body)

        // A person's reply in a thread: a comment on the incident the thread opened, never a new incident.
        if inThread && replyPrefix, let threadRoot {
            return [
                NormalizedEvent(
                    source: "email",
                    dedupKey: configuredKey.map { "email:key:\($0)" } ?? "email:thread:\(threadRoot)",
                    status: .firing,
                    severity: context.options.defaultSeverity,
                    title: base.nonEmpty ?? "(no subject)",
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
        var title = base.nonEmpty ?? "(no subject)"
        if let match {
            context.note(
                "email pattern \(match.pattern.name) matches: "
                    + match.groups.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            )
            guard let matched = match.status else {
                context.note("informational mail (type \(match.groups["type"] ?? "?")): no event")
                return []
            }
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
            context.note("no tool pattern matches: keyed by the thread root")
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
            // Line feeds only, also where a broken entity kept a CR of the markup.
            return HTMLText.text(
                from: Charset.decode(part.decodedBody, label: part.charset, fallback: fallback, guessed: &guessed)
            ).replacingLineEndings()
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

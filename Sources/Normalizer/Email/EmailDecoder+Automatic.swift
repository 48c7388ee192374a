/// Mail no incident should come of: bounces, reports, automatic replies and list mail. Each rejection names the
/// signal that decided it, so `ingestor normalize --explain` and the dead letter tell which rule refused the mail.
///
/// The order: machine reports by their structure (a delivery-status or disposition part anywhere, TNEF report
/// classes), then bounces by their looks (mailer-daemon senders, MTA subjects, carriers' notices with the original
/// attached; MTAs mark their bounces `Auto-Submitted: auto-replied` too), then automatic replies, then the null return
/// path that both use, then list mail (RFC 3834, RFC 3464, RFC 6522, RFC 8098; Sisimai's catalogue of real bounces).
extension EmailDecoder {
    static func rejectAutomatic(
        _ message: MIMEPart,
        subject: String,
        base baseSubject: String,
        sender: String?,
        body: String,
        options: EmailOptions
    ) throws(Rejection) {
        let headers = message.headers
        let from = sender ?? "the mail system"
        let leaves = message.leaves(limit: 64)
        let base = baseSubject.lowercased()
        try rejectReports(message, leaves: leaves, from: from)
        try rejectBounce(message, leaves: leaves, subject: subject, base: base, sender: sender, body: body)
        try rejectAutomaticReply(headers, subject: subject, from: from, options: options)
        // Bounces and automatic replies both use the null return path (RFC 3834 §3.3): alone, it means a bounce.
        if headers.plain("Return-Path")?.trimmingWhitespace() == "<>" {
            throw Rejection(.bounce, "a bounce (Return-Path: <>) from \(from): \(subject)")
        }
        if message.mediaType == "multipart/report" {
            throw Rejection(.deliveryReport, "a machine report (multipart/report without report-type) from \(from)")
        }
        if base.utf8.starts(with: "complaint about message from".utf8) {
            throw Rejection(
                .deliveryReport,
                "an abuse complaint (subject \"complaint about message from …\") from \(from)"
            )
        }
        let autoSubmitted = headers.plain("Auto-Submitted")?.trimmingWhitespace().lowercased() ?? "no"
        if autoSubmitted.hasPrefix("auto-generated"), !options.automaticSenders.isEmpty {
            let allowed = options.automaticSenders.contains { entry in
                let entry = entry.lowercased()
                return entry.hasPrefix("@")
                    ? sender?.lowercased().hasSuffix(entry) == true : sender?.lowercased() == entry
            }
            if !allowed {
                throw Rejection(
                    .autoReply,
                    "automatic mail (Auto-Submitted: auto-generated) from \(sender ?? "?"), which is not an allowed sender"
                )
            }
        }
        let precedence = headers.plain("Precedence")?.trimmingWhitespace().lowercased() ?? ""
        if !options.acceptLists {
            if let header = ["List-Id", "List-Unsubscribe", "X-MLServer", "X-ML-Name"].first(where: {
                headers.raw($0) != nil
            }) {
                throw Rejection(.mailingList, "list mail (header \(header)) from \(sender ?? "?"): \(subject)")
            }
            if ["bulk", "junk", "list"].contains(precedence) {
                throw Rejection(.mailingList, "bulk mail (Precedence: \(precedence)) from \(sender ?? "?"): \(subject)")
            }
        }
    }

    /// Delivery status notifications, read receipts and feedback reports, known by their MIME structure.
    private static func rejectReports(_ message: MIMEPart, leaves: [MIMEPart], from: String) throws(Rejection) {
        if message.mediaType == "multipart/report" {
            let reportType = message.contentType.parameters["report-type"]?.lowercased() ?? ""
            if reportType.contains("delivery-status") {
                throw Rejection(
                    .bounce,
                    "a delivery status notification (multipart/report; report-type=\(reportType)) from \(from)"
                )
            }
            if !reportType.isEmpty {
                throw Rejection(.deliveryReport, "a \(reportType) report (multipart/report) from \(from)")
            }
        }
        for part in leaves {
            switch part.mediaType {
            case "message/delivery-status", "message/global-delivery-status":
                throw Rejection(.bounce, "a delivery status notification (a \(part.mediaType) part) from \(from)")
            case "message/disposition-notification", "message/global-disposition-notification":
                throw Rejection(.deliveryReport, "a read receipt (a \(part.mediaType) part) from \(from)")
            case "message/feedback-report":
                throw Rejection(.deliveryReport, "a feedback report (a message/feedback-report part) from \(from)")
            case "application/ms-tnef", "application/vnd.ms-tnef":
                guard let messageClass = TNEF.messageClass(part.decodedBody) else { continue }
                let upper = messageClass.uppercased()
                let why = "(winmail.dat message class \(messageClass)) from \(from)"
                if upper.hasPrefix("REPORT.") && upper.hasSuffix(".NDR") {
                    throw Rejection(.bounce, "a non-delivery report \(why)")
                }
                if upper.hasPrefix("REPORT.") { throw Rejection(.deliveryReport, "a read or delivery receipt \(why)") }
                if upper.hasPrefix("IPM.NOTE.RULES.OOFTEMPLATE") || upper.hasPrefix("IPM.NOTE.RULES.REPLYTEMPLATE") {
                    throw Rejection(.autoReply, "an automatic reply \(why)")
                }
            default: continue
            }
        }
    }

    /// Out-of-office and other automatic replies: RFC 3834 `Auto-Submitted`, `Precedence: auto_reply`, the headers
    /// vacation programs add (Apple's `X-Apple-Action: VACATION`, `X-Autoreply`, …), or a reply subject.
    private static func rejectAutomaticReply(
        _ headers: MailHeaders,
        subject: String,
        from: String,
        options: EmailOptions
    ) throws(Rejection) {
        let autoSubmitted = headers.plain("Auto-Submitted")?.trimmingWhitespace().lowercased() ?? "no"
        if autoSubmitted.hasPrefix("auto-replied") || autoSubmitted.hasPrefix("auto-notified") {
            throw Rejection(
                .autoReply,
                "an automatic reply (Auto-Submitted: \(autoSubmitted)) from \(from): \(subject)"
            )
        }
        if headers.plain("Precedence")?.trimmingWhitespace().lowercased() == "auto_reply" {
            throw Rejection(.autoReply, "an automatic reply (Precedence: auto_reply) from \(from): \(subject)")
        }
        if let action = headers.plain("X-Apple-Action"), action.lowercased().contains("vacation") {
            throw Rejection(.autoReply, "a vacation reply (X-Apple-Action: \(action)) from \(from): \(subject)")
        }
        for header in ["X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Mail-Autoreply", "X-Vacation"]
        where headers.raw(header) != nil {
            throw Rejection(.autoReply, "an automatic reply (header \(header)) from \(from): \(subject)")
        }
        let lower = subject.lowercased()
        if let prefix = options.autoReplySubjects.first(where: { lower.utf8.starts(with: $0.utf8) }) {
            throw Rejection(.autoReply, "an automatic reply (subject starts \"\(prefix)\") from \(from): \(subject)")
        }
    }

    /// Sender local parts mail systems send bounces from.
    static let bounceSenders: Set<String> = [
        "mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "maildaemon", "postmaster", "post_master",
        "mail.delivery.system", "mdaemon",
    ]

    /// Subject starts of MTAs' bounces (Exim, Postfix, Sendmail, qmail, Exchange, Gmail, Domino, …), matched on the
    /// base subject (a forwarded bounce is still a bounce).
    static let bounceSubjects = [
        "undelivered mail returned to sender", "mail delivery failed", "delivery status notification (failure)",
        "delivery status notification (delay)", "undeliverable:", "undeliverable mail", "undeliverable message",
        "returned mail:", "failure notice", "mail delivery system", "delivery failure",
        "delivery notification: delivery has failed",
        "message delivery failure", "mail system error", "nondeliverable mail", "non-delivery", "non remis :",
        "unzustellbar:", "non recapitabile:", "no se puede entregar:", "warning: could not send message",
        "could not send message", "message you sent blocked", "delivery status notification",
    ]

    /// Phrases carriers and gateways use for a failure notice that attaches the original message.
    static let bounceWords = [
        "undeliverable", "undelivered", "delivery failure", "delivery failed", "delivery status", "returned mail",
        "mail error", "メールエラー", "エラーメール", "送信エラー",
    ]

    private static func rejectBounce(
        _ message: MIMEPart,
        leaves: [MIMEPart],
        subject: String,
        base: String,
        sender: String?,
        body: String
    ) throws(Rejection) {
        let headers = message.headers
        let from = sender ?? "the mail system"
        // A bare `From: mailer-daemon` has no address to take the local part from: take the field itself.
        let address = sender ?? headers.plain("From").map { HeaderParameters.stripComments($0).trimmingWhitespace() }
        let localPart = address?.split(separator: "@").first.map { $0.lowercased() } ?? ""
        if bounceSenders.contains(localPart) {
            throw Rejection(.bounce, "a bounce (sender \(localPart)@…) from \(from): \(subject)")
        }
        if headers.raw("X-Failed-Recipients") != nil {
            throw Rejection(.bounce, "a bounce (header X-Failed-Recipients) from \(from): \(subject)")
        }
        if let prefix = bounceSubjects.first(where: { base.utf8.starts(with: $0.utf8) }) {
            throw Rejection(.bounce, "a bounce (subject starts \"\(prefix)\") from \(from): \(subject)")
        }
        let attachesOriginal = leaves.contains {
            $0.mediaType == "message/rfc822" || $0.mediaType == "text/rfc822-headers"
        }
        if attachesOriginal, let word = bounceWords.first(where: { base.contains($0) }) {
            throw Rejection(.bounce, "a failure notice (subject with \"\(word)\", the original attached) from \(from)")
        }
        // The start of the body, as bytes: searching Characters costs more than reading the whole mail.
        var text = body
        let found: (code: Rejection.Code, why: String)? = text.withUTF8 { whole in
            let start = UnsafeBufferPointer(rebasing: whole.prefix(4096))
            if start.contains(text: "Final-Recipient:"),
                start.contains(text: "Action: failed") || start.contains(text: "Status: 5.")
            {
                return (.bounce, "a delivery status notification in plain text (Final-Recipient, Action)")
            }
            // Amazon SES notifications by mail, bare or inside an SNS envelope (`email-json`; quotes escaped).
            guard start.first == UInt8(ascii: "{") else { return nil }
            for (kind, code) in [
                ("Bounce", Rejection.Code.bounce), ("Complaint", .deliveryReport), ("Delivery", .deliveryReport),
            ]
            where start.contains(text: "\"notificationType\":\"\(kind)\"")
                || start.contains(text: #"\"notificationType\":\"\#(kind)\""#)
            {
                return (code, "an Amazon SES notification (notificationType \(kind))")
            }
            return nil
        }
        if let found { throw Rejection(found.code, "\(found.why) from \(from)") }
    }
}

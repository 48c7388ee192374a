import Foundation
import Testing

@testable import Normalizer

@Suite("Email fixtures")
struct EmailFixtureTests {
    static let table: [Expectation] = [
        Expectation(
            fixture: "email/nagios-service-problem.eml",
            events: [(.firing, .critical, "email:nagios:web-01/HTTP", "HTTP on web-01")]
        ),
        Expectation(
            fixture: "email/nagios-service-recovery.eml",
            events: [(.resolved, .info, "email:nagios:web-01/HTTP", "HTTP on web-01")]
        ),
        // FLAPPINGSTART is informational: no event, and no rejection either.
        Expectation(fixture: "email/nagios-flapping.eml"),
        Expectation(
            fixture: "email/icinga-host-down.eml",
            events: [(.firing, .critical, "email:icinga:db-02", "db-02")]
        ),
        Expectation(
            fixture: "email/icinga-service-ack.eml",
            events: [(.acknowledged, .medium, "email:icinga:db-02/disk /var", "disk /var on db-02")]
        ),
        Expectation(
            fixture: "email/zabbix-problem.eml",
            events: [(.firing, .medium, "email:zabbix:4242", "High CPU utilization on web-1")]
        ),
        Expectation(
            fixture: "email/zabbix-resolved.eml",
            events: [(.resolved, .medium, "email:zabbix:4242", "High CPU utilization on web-1")]
        ),
        Expectation(
            fixture: "email/checkmk-crit-alternative.eml",
            events: [(.firing, .critical, "email:checkmk:app-3/CPU load", "CPU load on app-3")]
        ),
        Expectation(
            fixture: "email/monit-failed.eml",
            events: [(.firing, .medium, "email:monit:app-3/nginx", "nginx on app-3")]
        ),
        Expectation(
            fixture: "email/cloudwatch-alarm.eml",
            events: [(.firing, .medium, "email:cloudwatch:api-5xx-rate/EU (Ireland)", "api-5xx-rate")]
        ),
        Expectation(
            fixture: "email/alertmanager-firing.eml",
            events: [(.firing, .medium, "email:alertmanager:DiskFull (prod node)", "DiskFull (prod node)")]
        ),
        Expectation(
            fixture: "email/encoded-latin1-q.eml",
            events: [
                (.firing, .medium, "email:thread:encoded-latin1-q.eml@example.com", "Problème sur le serveur €")
            ]
        ),
        Expectation(
            fixture: "email/encoded-utf8-split.eml",
            events: [(.firing, .medium, "email:thread:encoded-utf8-split.eml@example.com", "ディスク障害")]
        ),
        Expectation(
            fixture: "email/encoded-shiftjis.eml",
            events: [(.firing, .medium, "email:thread:encoded-shiftjis.eml@example.com", "サーバー停止")]
        ),
        Expectation(
            fixture: "email/encoded-iso2022jp-nec.eml",
            events: [(.firing, .medium, "email:thread:encoded-iso2022jp-nec.eml@example.com", "① disk")]
        ),
        Expectation(
            fixture: "email/encoded-koi8r.eml",
            events: [(.firing, .medium, "email:thread:encoded-koi8r.eml@example.com", "Ошибка диска")]
        ),
        Expectation(
            fixture: "email/encoded-gbk.eml",
            events: [(.firing, .medium, "email:thread:encoded-gbk.eml@example.com", "磁盘故障")]
        ),
        Expectation(
            fixture: "email/8bit-utf8-subject.eml",
            events: [(.firing, .medium, "email:thread:8bit-1@example.com", "Störung im Rechenzentrum")]
        ),
        Expectation(
            fixture: "email/8bit-latin1-subject.eml",
            events: [(.firing, .medium, "email:thread:8bit-2@example.com", "Störung Nr. 5 €")]
        ),
        Expectation(
            fixture: "email/folded-headers-obsolete-date.eml",
            events: [(.firing, .medium, "email:thread:fold-1@example.com", "This subject is folded across two lines")]
        ),
        Expectation(
            fixture: "email/html-only.eml",
            events: [(.firing, .medium, "email:thread:html-1@example.com", "Service degraded")]
        ),
        Expectation(
            fixture: "email/nested-multipart-attachment.eml",
            events: [(.firing, .medium, "email:thread:report-1@example.com", "Weekly capacity report")]
        ),
        Expectation(
            fixture: "email/reply-in-thread.eml",
            events: [(.firing, .medium, "email:thread:report-1@example.com", "Weekly capacity report")]
        ),
        Expectation(
            fixture: "email/broken-boundary.eml",
            events: [(.firing, .medium, "email:keyword:backup job failed on nas-1", "backup job failed on nas-1")]
        ),
        Expectation(
            fixture: "email/missing-close-delimiter.eml",
            events: [(.resolved, .medium, "email:keyword:backup job failed on nas-1", "backup job failed on nas-1")]
        ),
        Expectation(
            fixture: "email/missing-headers.eml",
            events: [(.firing, .medium, "email:subject:af63f14c8602103b", "(no subject)")]
        ),
        Expectation(fixture: "email/out-of-office.eml", rejection: .autoReply),
        Expectation(fixture: "email/automatic-reply-subject-only.eml", rejection: .autoReply),
        Expectation(fixture: "email/bounce-dsn.eml", rejection: .bounce),
        Expectation(fixture: "email/bounce-plain-exim.eml", rejection: .bounce),
        Expectation(fixture: "email/read-receipt.eml", rejection: .deliveryReport),
        Expectation(fixture: "email/mailing-list.eml", rejection: .mailingList),
    ]

    @Test(arguments: table)
    func fixtureBecomesItsEvents(_ expected: Expectation) throws {
        for format in [SourceFormat.email, .auto] {
            switch try normalize(expected.fixture, format: format) {
            case .success(let events):
                #expect(expected.rejection == nil, "expected \(String(describing: expected.rejection))")
                #expect(events.count == expected.events.count)
                for (event, want) in zip(events, expected.events) {
                    #expect(event.status == want.status)
                    #expect(event.severity == want.severity)
                    #expect(event.dedupKey == want.key)
                    #expect(event.title == want.title)
                    #expect(event.source == "email")
                }
            case .failure(let rejection):
                #expect(rejection.code == expected.rejection, "\(rejection)")
            }
        }
    }

    @Test func everyEmailFixtureIsInTheTable() throws {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures/email", withExtension: nil))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }
        let covered = Set(
            (Self.table + RealMailTests.table).map { $0.fixture.replacingOccurrences(of: "email/", with: "") }
        )
        #expect(Set(files) == covered)
    }

    @Test func aReplyCommentsOnTheIncidentItsThreadOpened() throws {
        let original = try #require(try events("email/nested-multipart-attachment.eml", format: .email).first)
        let reply = try #require(try events("email/reply-in-thread.eml", format: .email).first)
        #expect(reply.dedupKey == original.dedupKey)
        #expect(reply.isReply && !reply.opensIncident && reply.carriesContent)
        #expect(!original.isReply && original.opensIncident)
        #expect(reply.labels["thread_root"] == "report-1@example.com")
        #expect(reply.description.hasPrefix("We ordered the new disks."))
    }

    @Test func attachmentsAreListedNotDecodedIntoTheEvent() throws {
        let event = try #require(try events("email/nested-multipart-attachment.eml", format: .email).first)
        #expect(event.attachments.count == 1)
        let attachment = try #require(event.attachments.first)
        #expect(attachment.filename == "Kapazitätsbericht.pdf")
        #expect(attachment.contentType == "application/pdf")
        #expect(attachment.size == 1033)
        #expect(!event.description.contains("JVBERi"), "the base64 body must not leak into the text")
    }

    @Test func plainTextIsPreferredOverHTMLInAlternatives() throws {
        let event = try #require(try events("email/checkmk-crit-alternative.eml", format: .email).first)
        #expect(!event.description.contains("<"))
        #expect(event.labels["state"] == "CRIT")
    }

    @Test func htmlOnlyMailBecomesReadableText() throws {
        let event = try #require(try events("email/html-only.eml", format: .email).first)
        #expect(event.description == "Payments are degraded.\n\n- EU: slow\n- US: ok\n\nCost: 100€ /h & rising!")
    }

    @Test func descriptionsUseLineFeedsOnly() throws {
        let event = try #require(try events("email/reply-in-thread.eml", format: .email).first)
        #expect(!event.description.utf8.contains(0x0D))
        #expect(event.description == "We ordered the new disks.\n\n> Capacity is at 81 %")
    }

    @Test func brokenBoundariesAreLabelledNotFatal() throws {
        let broken = try #require(try events("email/broken-boundary.eml", format: .email).first)
        #expect(broken.labels["mime_defect"] == "boundary_not_found")
        #expect(broken.description.contains("exited with code 3"))
        let unclosed = try #require(try events("email/missing-close-delimiter.eml", format: .email).first)
        #expect(unclosed.labels["mime_defect"] == "missing_close_delimiter")
    }

    @Test func undeclared8BitHeadersAreGuessedAndSaySo() throws {
        let latin1 = try #require(try events("email/8bit-latin1-subject.eml", format: .email).first)
        #expect(latin1.labels["charset_guessed"] == "true")
        let utf8 = try #require(try events("email/8bit-utf8-subject.eml", format: .email).first)
        #expect(utf8.labels["charset_guessed"] == nil)
    }

    @Test func obsoleteDatesAndFoldedHeadersAreRead() throws {
        let event = try #require(try events("email/folded-headers-obsolete-date.eml", format: .email).first)
        #expect(event.occurredAt == Timestamp(rfc3339: "2026-11-24T14:00:00Z"))
    }

    @Test func mailWithoutADateUsesTheReceiveTime() throws {
        let event = try #require(try events("email/missing-headers.eml", format: .email).first)
        #expect(event.occurredAt == Timestamp(rfc3339: "2026-11-24T12:00:00Z"))
    }

    @Test func recoveriesCarryTheirResolveTime() throws {
        let event = try #require(try events("email/nagios-service-recovery.eml", format: .email).first)
        #expect(event.resolvedAt != nil)
        #expect(event.resolvedAt == event.occurredAt)
    }

    @Test func aConfiguredDedupPatternWinsOverTheThread() throws {
        var options = DecodeOptions()
        options.email.dedupPattern = #"capacity (?<key>\w+)"#
        let event = try #require(
            try events("email/nested-multipart-attachment.eml", format: .email, options: options).first
        )
        #expect(event.dedupKey == "email:key:report")
    }

    @Test func allowListedSendersMayBeAutomatic() throws {
        var options = DecodeOptions()
        #expect(throws: Rejection.self) { try events("email/mailing-list.eml", format: .email, options: options) }
        options.email.acceptLists = true
        #expect(try events("email/mailing-list.eml", format: .email, options: options).count == 1)
    }

    @Test func customPatternsReplaceTheDefaults() throws {
        var options = DecodeOptions()
        options.email.patterns = [
            EmailPattern(
                name: "backup",
                subject: #"^(?<type>PROBLEM|OK): backup job failed on (?<host>\S+)$"#,
                statusWords: [.init("problem", .firing), .init("ok", .resolved)],
                identity: ["host"]
            )
        ]
        let event = try #require(try events("email/broken-boundary.eml", format: .email, options: options).first)
        #expect(event.dedupKey == "email:backup:nas-1")
        #expect(event.title == "nas-1")
    }

    @Test func jsonEnvelopesCarryTheRawMessage() throws {
        let raw = try fixture("email/nagios-service-problem.eml")
        let base64 = Array(#"{"rfc822":"\#(Data(raw).base64EncodedString())","encoding":"base64"}"#.utf8)
        let direct = try Normalizer().normalize(NormalizerInput(payload: raw), format: .email)
        for format in [SourceFormat.email, .auto] {
            let viaEnvelope = try Normalizer().normalize(NormalizerInput(payload: base64), format: format)
            #expect(viaEnvelope == direct)
        }
        let plain = Array(#"{"rfc822":"Subject: PROBLEM: x\r\nFrom: a@example.com\r\n\r\nbody"}"#.utf8)
        let event = try #require(try Normalizer().normalize(NormalizerInput(payload: plain), format: .email).first)
        #expect(event.title == "x")
        #expect(event.description == "body")
    }

    @Test(arguments: [
        (#"{"rfc822":"","encoding":"plain"}"#, Rejection.Code.invalidEmail),
        (#"{"rfc822":"eA==","encoding":"rot13"}"#, .invalidPayload),
        (#"{"rfc822":"no headers at all"}"#, .invalidEmail),
    ])
    func badEnvelopesAreRejected(_ payload: String, _ code: Rejection.Code) {
        #expect {
            try Normalizer().normalize(NormalizerInput(payload: Array(payload.utf8)), format: .email)
        } throws: { ($0 as? Rejection)?.code == code }
    }
}

@Suite("Email decoding pieces")
struct EmailPiecesTests {
    @Test func quotedPrintableSoftBreaksAndBadEscapes() {
        let decoded = TransferEncoding.quotedPrintable(Array("caf=C3=A9 =\r\nau lait =ZZ=4".utf8))
        #expect(String(decoding: decoded, as: UTF8.self) == "café au lait =ZZ=4")
        let header = TransferEncoding.quotedPrintable(Array("a_b=5F".utf8), header: true)
        #expect(String(decoding: header, as: UTF8.self) == "a b_")
    }

    @Test func base64IgnoresLineBreaksAndJunk() {
        let decoded = TransferEncoding.base64(Array("aGVs\r\nbG8g\n d29y*bGQ=\r\n".utf8))
        #expect(String(decoding: decoded, as: UTF8.self) == "hello world")
        #expect(TransferEncoding.base64(Array("aGk".utf8)) == Array("hi".utf8), "missing padding is tolerated")
    }

    @Test(arguments: [
        ("=?ISO-8859-1?Q?caf=E9?=", "café"),
        ("=?utf-8?b?w6k=?= =?utf-8?b?w6k=?=", "éé"),  // whitespace between words goes
        ("=?UTF-8?Q?a?= b =?UTF-8?Q?c?=", "a b c"),
        ("=?UTF-8*fr?Q?caf=C3=A9?=", "café"),  // RFC 2231 language
        ("=?KOI8-R?B?7sXUINPF1Mk=?=", "Нет сети"),
        ("=?bogus-charset?Q?abc?=", "abc"),
        ("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="),
        ("plain text", "plain text"),
    ])
    func encodedWords(_ input: String, _ expected: String) {
        var guessed = false
        #expect(EncodedWords.decode(input, fallback: "windows-1252", guessed: &guessed) == expected)
    }

    @Test func rfc2231ContinuationsInAnyOrder() {
        let parameters = HeaderParameters(
            #"attachment; filename*1*=%20Bericht.pdf; filename*0*=UTF-8'de'Kapazit%C3%A4ts"#,
            fallback: "windows-1252"
        )
        #expect(parameters.value == "attachment")
        #expect(parameters.parameters["filename"] == "Kapazitäts Bericht.pdf")
        let quoted = HeaderParameters(
            #"multipart/mixed; boundary="a;b\"c"; charset=utf-8 (comment)"#,
            fallback: "windows-1252"
        )
        #expect(quoted.value == "multipart/mixed")
        #expect(quoted.parameters["boundary"] == #"a;b"c"#)
    }

    @Test(arguments: [
        ("Mon, 24 Nov 2026 09:00:00 +0000", "2026-11-24T09:00:00Z"),
        ("24 Nov 2026 09:00:00 +0100", "2026-11-24T08:00:00Z"),
        ("Mon, 24 Nov 26 09:00 EST", "2026-11-24T14:00:00Z"),
        ("Mon,  4 Nov 1996 09:00:00 GMT", "1996-11-04T09:00:00Z"),
        ("Mon, 24 Nov 2026 09:00:00 -0000 (UTC)", "2026-11-24T09:00:00Z"),
    ])
    func mailDates(_ text: String, _ expected: String) {
        #expect(MailDate.parse(text) == Timestamp(rfc3339: expected))
    }

    @Test(arguments: ["", "yesterday", "Mon, 99 Foo 2026 25:61:00 +0000", "32 Jan 2026 00:00:00 +0000"])
    func badMailDatesAreNil(_ text: String) {
        #expect(MailDate.parse(text) == nil)
    }

    @Test(arguments: [
        ("Re: Fwd: [ops] Disk full", "Disk full"),
        ("AW: WG: Störung", "Störung"),
        ("RE[2]: backup failed", "backup failed"),
        ("[Fwd: Disk full]", "Disk full"),
        ("Disk full (fwd)", "Disk full"),
        ("Re:Re:  spaced   out ", "spaced out"),
        ("[2026] budget", "budget"),
        ("Reboot needed", "Reboot needed"),
        ("re", "re"),
    ])
    func baseSubjects(_ subject: String, _ expected: String) {
        #expect(EmailDecoder.baseSubject(subject) == expected)
    }

    @Test func messageIDsToleratesCommentsAndMissingBrackets() {
        #expect(EmailDecoder.messageIDs("<a@x> (first) <b@y>") == ["a@x", "b@y"])
        #expect(EmailDecoder.messageIDs("c@z, d@w") == ["c@z", "d@w"])
        #expect(EmailDecoder.messageIDs(nil) == [])
        #expect(EmailDecoder.address(in: "\"Ops, Team\" <ops@example.com>") == "ops@example.com")
        #expect(EmailDecoder.address(in: "ops@example.com (Ops)") == "ops@example.com")
    }

    @Test func htmlScriptsStylesAndEntities() {
        let html = "<style>p{}</style><script>alert(1)</script><p>A&lt;B &#x263A; &unknown;</p><br>next"
        #expect(HTMLText.text(from: html) == "A<B ☺ &unknown;\n\nnext")
    }

    @Test func malformedBytesAreReplacedNotFatal() {
        var guessed = false
        let text = Charset.decode([0x61, 0xFF, 0x62], label: "utf-8", fallback: "windows-1252", guessed: &guessed)
        #expect(text == "a\u{FFFD}b")
        let shiftJIS = Charset.decode(
            [0x83, 0x65, 0x83],
            label: "shift_jis",
            fallback: "windows-1252",
            guessed: &guessed
        )
        #expect(shiftJIS.hasPrefix("テ"))
    }
}

@Suite("Email limits")
struct EmailLimitTests {
    static func reject(_ text: String, limits: Normalizer.Limits = .init()) -> Rejection.Code? {
        do {
            _ = try Normalizer(limits: limits).normalize(NormalizerInput(payload: Array(text.utf8)), format: .email)
            return nil
        } catch {
            return error.code
        }
    }

    static func nested(depth: Int) -> String {
        var message = "Content-Type: text/plain\r\n\r\nPROBLEM deep\r\n"
        for level in 0..<depth {
            message =
                "Content-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n--b\(level)\r\n\(message)\r\n--b\(level)--\r\n"
        }
        return "From: a@example.com\r\nSubject: deep\r\n" + message
    }

    @Test func tooManyHeaderFields() {
        let headers = (0..<30).map { "X-Field-\($0): value\r\n" }.joined()
        let message = "From: a@example.com\r\n\(headers)Subject: PROBLEM: x\r\n\r\nbody"
        #expect(Self.reject(message, limits: .init(maxHeaderCount: 20)) == .tooManyHeaders)
        #expect(Self.reject(message, limits: .init(maxHeaderCount: 40)) == nil)
    }

    @Test func aHeaderFieldOverTheLimitIsCutAndMarkedNotRefused() throws {
        let folded = (0..<40).map { _ in String(repeating: "w", count: 60) }.joined(separator: "\r\n ")
        let message = "From: a@example.com\r\nSubject: \(folded)\r\n\r\nbody"
        #expect(Self.reject(message, limits: .init(maxHeaderBytes: 1024)) == nil)
        let event = try #require(
            try Normalizer(limits: .init(maxHeaderBytes: 1024)).normalize(
                NormalizerInput(payload: Array(message.utf8)),
                format: .email
            ).first
        )
        #expect(event.title.hasSuffix(" [truncated]"))
        #expect(event.title.utf8.count <= 1024 + " [truncated]".utf8.count)
        #expect(event.labels["mime_defect"] == "header_truncated")
    }

    @Test func mimeNestingTooDeep() {
        #expect(Self.reject(Self.nested(depth: 20)) == .mimeTooDeep)
        #expect(Self.reject(Self.nested(depth: 5), limits: .init(maxMIMEDepth: 4)) == .mimeTooDeep)
        #expect(Self.reject(Self.nested(depth: 5)) == nil)
    }

    @Test func tooManyMIMEParts() {
        let parts = (0..<40).map { "--b\r\nContent-Type: text/plain\r\n\r\npart \($0)\r\n" }.joined()
        let message =
            "From: a@example.com\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\(parts)--b--\r\n"
        #expect(Self.reject(message, limits: .init(maxMIMEParts: 30)) == .tooManyParts)
        #expect(Self.reject(message, limits: .init(maxMIMEParts: 50)) == nil)
    }

    @Test func decodedTextTooLarge() {
        let line = String(repeating: "x", count: 76) + "\r\n"
        let message = "From: a@example.com\r\nSubject: big\r\n\r\n" + String(repeating: line, count: 200)
        #expect(Self.reject(message, limits: .init(maxEmailTextBytes: 8 * 1024)) == .emailTooLarge)
        #expect(Self.reject(message, limits: .init(maxEmailTextBytes: 64 * 1024)) == nil)
    }

    @Test func payloadSizeIsCheckedBeforeParsing() {
        let message = "From: a@example.com\r\nSubject: big\r\n\r\n" + String(repeating: "y", count: 5000)
        #expect(Self.reject(message, limits: .init(maxPayloadBytes: 4096)) == .payloadTooLarge)
    }

    @Test func emptyAndHeaderlessInputIsInvalidEmail() {
        #expect(Self.reject("\r\n\r\njust a body") == .invalidEmail)
        #expect(Self.reject("") == .emptyPayload)
    }
}

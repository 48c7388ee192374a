import Foundation
import Testing

@testable import Normalizer

/// Mail from real systems and broken clients (origins in Fixtures/README.md): automatic mail that must not become
/// incidents, mail that only looks odd, and tool mail whose body contradicts its subject.
@Suite("Real mail")
struct RealMailTests {
    static let table: [Expectation] = [
        // Automatic mail: each refused with its own code.
        Expectation(fixture: "email/sisimai-rfc3834-03.eml", rejection: .autoReply),  // Apple Mail vacation
        Expectation(fixture: "email/sisimai-rfc3834-04.eml", rejection: .autoReply),  // Exchange, Return-Path <>
        Expectation(fixture: "email/sisimai-lhost-kddi-01.eml", rejection: .bounce),  // carrier, Japanese subject
        Expectation(fixture: "email/sisimai-lhost-verizon-02.eml", rejection: .bounce),  // carrier, post_master
        Expectation(fixture: "email/sisimai-lhost-mcafee-04.eml", rejection: .bounce),  // DSN part, no usual headers
        Expectation(fixture: "email/sisimai-lhost-x3-01.eml", rejection: .bounce),  // report without report-type
        Expectation(fixture: "email/sisimai-lhost-x6-01.eml", rejection: .bounce),  // bare From: mailer-daemon
        Expectation(fixture: "email/sisimai-lhost-amazonses-10.eml", rejection: .bounce),  // SES through SNS
        Expectation(fixture: "email/sisimai-lhost-sendmail-14.eml", rejection: .bounce),  // a forwarded bounce
        Expectation(fixture: "email/sisimai-arf-22.eml", rejection: .deliveryReport),  // abuse complaint
        Expectation(fixture: "email/tnef-read-receipt.eml", rejection: .deliveryReport),  // winmail.dat receipt
        // Not automatic, whatever it looks like.
        Expectation(
            fixture: "email/sisimai-is-not-bounce-01.eml",
            events: [(.firing, .medium, "email:thread:51e458a6.21eb420a.5f83.4ce2@mx.example.com", "にゃんこ")]
        ),
        // A mail is a mail whatever its first line.
        Expectation(
            fixture: "email/first-line-folded.eml",
            events: [(.firing, .critical, "email:nagios:db-3", "db-3")]
        ),
        Expectation(
            fixture: "email/first-line-corrupt.eml",
            events: [(.firing, .critical, "email:icinga:db-4", "db-4")]
        ),
        Expectation(
            fixture: "email/obsolete-subject-space-colon.eml",
            events: [(.firing, .critical, "email:nagios:web-02/HTTPS", "HTTPS on web-02")]
        ),
        Expectation(
            fixture: "email/8bit-inside-encoded-word.eml",
            events: [(.firing, .medium, "email:thread:8bit-ew-1@mon.example.ru", "Проблема с диском")]
        ),
        // The body's state wins over the subject's.
        Expectation(
            fixture: "email/nagios-problem-subject-recovery-body.eml",
            events: [(.resolved, .info, "email:nagios:web-01/HTTP", "HTTP on web-01")]
        ),
        Expectation(
            fixture: "email/icinga-problem-subject-ok-body.eml",
            events: [(.resolved, .info, "email:icinga:db-02/disk /var", "disk /var on db-02")]
        ),
    ]

    @Test(arguments: table)
    func fixtureBecomesItsEvents(_ expected: Expectation) throws {
        // `auto` must find the mail by itself: its first line may be folded or corrupt.
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
                }
            case .failure(let rejection):
                #expect(rejection.code == expected.rejection, "\(format): \(rejection)")
            }
        }
    }

    @Test func theRejectionNamesTheSignalThatDecided() throws {
        let signals = [
            ("email/sisimai-rfc3834-03.eml", "X-Apple-Action"),
            ("email/sisimai-lhost-mcafee-04.eml", "message/delivery-status"),
            ("email/tnef-read-receipt.eml", "REPORT.IPM.Note.IPNRN"),
            ("email/sisimai-lhost-verizon-02.eml", "post_master"),
        ]
        for (path, signal) in signals {
            guard case .failure(let rejection) = try normalize(path, format: .email) else {
                Issue.record("\(path) must be refused")
                continue
            }
            #expect(rejection.message.contains(signal), "\(path): \(rejection.message)")
        }
    }

    @Test func aProblemMailWhoseBodySaysRecoveryResolvesTheProblemsIncident() throws {
        let problem = try events("email/nagios-service-problem.eml", format: .email)[0]
        let recovery = try events("email/nagios-problem-subject-recovery-body.eml", format: .email)[0]
        #expect(problem.status == .firing && recovery.status == .resolved)
        #expect(problem.dedupKey == recovery.dedupKey)
    }

    @Test func anAutomaticReplyWithTheNullReturnPathIsAnAutomaticReplyNotABounce() throws {
        guard case .failure(let rejection) = try normalize("email/sisimai-rfc3834-04.eml", format: .email) else {
            Issue.record("an Exchange automatic reply must be refused")
            return
        }
        #expect(rejection.code == .autoReply)
    }

    @Test func aSubjectOfHundredsOfKilobytesIsCutWithAMarker() throws {
        let words = (0..<40_000).map { "word\($0)" }.joined(separator: " ")
        let folded = stride(from: 0, to: words.count, by: 70).map { offset -> String in
            let start = words.index(words.startIndex, offsetBy: offset)
            return String(
                words[start..<(words.index(start, offsetBy: 70, limitedBy: words.endIndex) ?? words.endIndex)]
            )
        }.joined(separator: "\r\n ")
        let mail = "From: a@example.com\r\nSubject: PROBLEM: \(folded)\r\nMessage-ID: <long@example.com>\r\n\r\nbody"
        #expect(mail.utf8.count > 300_000)
        let event = try #require(try Normalizer().normalize(NormalizerInput(payload: Array(mail.utf8))).first)
        #expect(event.title.hasSuffix(MailHeaders.truncationMarker))
        #expect(event.title.utf8.count < 17 * 1024, "cut at limits.max_header_bytes")
        #expect(event.labels["mime_defect"] == "header_truncated")
        #expect(event.description == "body", "the header section ends where it ends, however long the subject")
    }

    @Test func rawEightBitBytesInsideAnEncodedWordAreReadInTheWordsCharset() {
        var guessed = false
        let bytes: [UInt8] = Array("=?koi8-r?Q?".utf8) + [0xF4, 0xC5, 0xD3, 0xD4] + Array("?= ok".utf8)
        #expect(EncodedWords.decode(bytes: bytes, fallback: "windows-1252", guessed: &guessed) == "Тест ok")
        #expect(!guessed, "the word names its charset")
    }

    @Test(arguments: [
        ("REPORT.IPM.Note.IPNRN", Rejection.Code.deliveryReport), ("REPORT.IPM.Note.NDR", .bounce),
        ("IPM.Note.Rules.OofTemplate.Microsoft", .autoReply),
    ])
    func tnefMessageClassesDecide(_ messageClass: String, _ code: Rejection.Code) throws {
        var tnef: [UInt8] = [0x78, 0x9F, 0x3E, 0x22, 0x01, 0x00]
        func attribute(_ id: UInt32, _ data: [UInt8]) {
            tnef.append(0x01)
            for shift in stride(from: 0, to: 32, by: 8) { tnef.append(UInt8(truncatingIfNeeded: id >> UInt32(shift))) }
            let length = UInt32(data.count)
            for shift in stride(from: 0, to: 32, by: 8) {
                tnef.append(UInt8(truncatingIfNeeded: length >> UInt32(shift)))
            }
            tnef += data + [0, 0]
        }
        attribute(0x0008_9006, [0, 0, 1, 0])
        attribute(0x0007_8008, Array(messageClass.utf8) + [0])
        #expect(TNEF.messageClass(tnef) == messageClass)
        let mail =
            "From: someone@example.com\r\nSubject: Re: PROBLEM\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + "--b\r\nContent-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Data(tnef).base64EncodedString() + "\r\n--b--\r\n"
        #expect {
            try Normalizer().normalize(NormalizerInput(payload: Array(mail.utf8)), format: .email)
        } throws: { ($0 as? Rejection)?.code == code }
        #expect(TNEF.messageClass(Array(tnef.prefix(12))) == nil, "a cut stream names nothing")
        #expect(TNEF.messageClass(Array("not tnef at all".utf8)) == nil)
    }

    @Test(arguments: [
        ("Subject: x\r\nFrom: a@b\r\n\r\nbody", true),
        (" folded first line\r\nSubject: x\r\nFrom: a@b\r\n\r\nbody", true),
        ("Microsoft Mail Internet Headers Version 2.0\r\nFrom: a@b\r\nSubject: x\r\n\r\n", true),
        ("From a@b Mon Nov 24 09:00:00 2026\nSubject: x\n\nbody", true),
        ("Subject : obsolete\r\n\r\nbody", true),
        ("{\"a\":1}", false), ("[1,2]", false), ("NaN", false), ("hello world", false),
        ("Error: something broke\nat line 2\nat line 3", false),
    ])
    func aMailIsAMailWhenItHasHeaderLines(_ text: String, _ isMail: Bool) {
        #expect(Normalizer.looksLikeEmail(Array(text.utf8)) == isMail, "\(text)")
    }

    @Test(arguments: [
        ("Notification Type: RECOVERY\r\nState: OK\r\n", [("type", "RECOVERY"), ("state", "OK")]),
        ("Host:  web-01 (10.0.0.1)\nService State:\tCRITICAL now", [("host", "web-01"), ("state", "CRITICAL")]),
        ("Additional Info: State: OK\nState:\n", []),
        (String(repeating: "filler\n", count: 40) + "State: OK\n", []),
        (String(repeating: "x", count: 50) + " State: OK\n", []),
    ])
    func labelledLinesAreReadFromTheBodysFirstLines(_ body: String, _ expected: [(String, String)]) {
        let fields = ["Notification Type": "type", "State": "state", "Service State": "state", "Host": "host"]
        let found = EmailDecoder.labelledLines(body, fields)
        #expect(found.map(\.group) == expected.map(\.0), "\(body.prefix(40))")
        #expect(found.map(\.value) == expected.map(\.1), "\(body.prefix(40))")
    }
}

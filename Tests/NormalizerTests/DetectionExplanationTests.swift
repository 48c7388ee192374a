import Foundation
import Testing

@testable import Normalizer

/// `ingestor normalize --explain` and the rejection messages of what is still unknown: they say what was detected
/// and why, which rule refused a message, and what an unknown payload looked like.
@Suite("Detection explains itself")
struct DetectionExplanationTests {
    static func explain(_ bytes: [UInt8], format: SourceFormat = .auto) -> Normalizer.Explanation {
        Normalizer().explain(
            NormalizerInput(payload: bytes, receivedAt: Timestamp(rfc3339: "2026-11-24T12:00:00Z")),
            route: SourceRoute(format: format)
        )
    }

    @Test func theDetectedFormatAndEveryMatchingRuleAreNamed() throws {
        let explanation = Self.explain(try fixture("aws/sns-aws-health-issue.json"))
        #expect(explanation.format == .sns)
        let text = explanation.steps.joined(separator: "\n")
        #expect(text.contains("sns recognises it: `Type`"))
        #expect(text.contains("aws-health recognises it"))
        #expect(text.contains("eventbridge recognises it"), "every candidate is listed")
        #expect(text.contains("aws-health is the most specific of those"))
        #expect(explanation.steps.contains { $0.hasPrefix("  aws-health") }, "the inner payload's steps are indented")
        #expect((try? explanation.outcome.get())?.count == 1)
    }

    @Test func aRejectionNamesTheRuleThatRefusedIt() throws {
        let mail = Self.explain(try fixture("email/sisimai-rfc3834-03.eml"))
        #expect(mail.format == .email)
        #expect(mail.steps.last?.contains("rejected: auto_reply: a vacation reply (X-Apple-Action: VACATION)") == true)
        let test = Self.explain(try fixture("gcp/test-notification.json"))
        #expect(test.steps.contains { $0.hasPrefix("gcp-monitoring refused it: not_an_alert") })
        let shape = Self.explain(Array(#"{"alerts":"nope","groupKey":"g","version":"4"}"#.utf8), format: .alertmanager)
        #expect(shape.steps.last?.contains("does not have the shape of alertmanager") == true)
    }

    @Test func unknownShapesSayWhatWasSeen() {
        func message(_ text: String, _ format: SourceFormat = .auto) -> (Rejection.Code?, String) {
            guard case .failure(let rejection) = Self.explain(Array(text.utf8), format: format).outcome else {
                return (nil, "")
            }
            return (rejection.code, rejection.message)
        }
        let object = message(#"{"monitor":"db","level":"crit","when":1700000000}"#)
        #expect(object.0 == .unrecognizedFormat)
        #expect(object.1.contains("a JSON object with top-level keys [monitor, level, when]"))
        let many = message("{" + (0..<12).map { #""k\#($0)":1"# }.joined(separator: ",") + "}")
        #expect(many.1.contains("[k0, k1, k2, k3, k4, k5, k6, k7, …] (12 keys)"))
        #expect(message("[1,2,3]").1.contains("a JSON array of 3 elements"))
        let form = message("alert=disk&host=db-1")
        #expect(form == (.invalidJSON, form.1) && form.1.contains("form-encoded fields [alert, host]"))
        let mail = message("From: nagios@example.com\r\nSubject: PROBLEM x\r\n\r\nbody", .alertmanager)
        #expect(mail.0 == .invalidJSON, "the code stays")
        #expect(mail.1.contains(#"a mail from nagios@example.com with subject "PROBLEM x""#))
        let gzip = Self.explain([0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00]).outcome
        #expect((try? gzip.get()) == nil)
        if case .failure(let rejection) = gzip { #expect(rejection.message.contains("gzip-compressed data")) }
    }

    @Test func everyFixtureExplainsTheSameOutcomeTheWorkerGets() throws {
        for (name, bytes) in try NormalizerFuzzTests.allFixtures() {
            let format: SourceFormat = name.hasSuffix(".eml") ? .email : .auto
            let explanation = Self.explain(bytes, format: format)
            let direct = Result {
                try Normalizer().normalize(
                    NormalizerInput(payload: bytes, receivedAt: Timestamp(rfc3339: "2026-11-24T12:00:00Z")),
                    format: format
                )
            }
            switch (explanation.outcome, direct) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(name)")
            case (.failure(let a), .failure(let b as Rejection)): #expect(a.code == b.code, "\(name)")
            default: Issue.record("\(name): explain and normalize disagree")
            }
            #expect(!explanation.steps.isEmpty, "\(name)")
        }
    }
}

import Normalizer
import Testing

@Suite("Format selection and limits")
struct NormalizerTests {
    let alertmanager = Array(
        #"{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"a":"b"},"fingerprint":"f"}]}"#.utf8
    )

    func code(_ body: () throws -> [NormalizedEvent]) -> Rejection.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? Rejection)?.code
        }
    }

    @Test func headerNamesTheFormatOverTheRoute() {
        let normalizer = Normalizer()
        let input = NormalizerInput(
            payload: alertmanager,
            headers: [.init(name: "Ingestor-Format", value: Array("alertmanager".utf8))]
        )
        #expect(code { try normalizer.normalize(input, format: SourceFormat("nonsense")) } == nil)
    }

    @Test func unknownFormatNameIsItsOwnReason() {
        #expect(
            code {
                try Normalizer().normalize(NormalizerInput(payload: alertmanager), format: SourceFormat("zabbix-9000"))
            } == .unknownFormat
        )
    }

    @Test func routeFormatThatDoesNotMatchTheShapeIsInvalidPayload() {
        let other = Array(#"{"hello":"world"}"#.utf8)
        #expect(
            code { try Normalizer().normalize(NormalizerInput(payload: other), format: .alertmanager) }
                == .invalidPayload
        )
    }

    @Test(arguments: [
        (#"{"hello":"world"}"#, Rejection.Code.unrecognizedFormat),
        ("[1,2,3]", .unrecognizedFormat),
        (#""just a string""#, .unrecognizedFormat),
        ("{not json", .invalidJSON),
        ("", .emptyPayload),
    ])
    func autoDetectionNeverGuesses(payload: String, expected: Rejection.Code) {
        #expect(code { try Normalizer().normalize(NormalizerInput(payload: Array(payload.utf8))) } == expected)
    }

    @Test func payloadOverTheLimitIsRejectedBeforeParsing() {
        let normalizer = Normalizer(limits: .init(maxPayloadBytes: 64))
        #expect(
            code { try normalizer.normalize(NormalizerInput(payload: Array(repeating: 0x20, count: 65))) }
                == .payloadTooLarge
        )
    }

    @Test func nestingOverTheLimitHasItsOwnReason() {
        let normalizer = Normalizer(limits: .init(maxJSONDepth: 4))
        let deep = Array((String(repeating: "[", count: 5) + String(repeating: "]", count: 5)).utf8)
        #expect(code { try normalizer.normalize(NormalizerInput(payload: deep)) } == .nestingTooDeep)
    }

    @Test func tooManyEventsInOneMessage() {
        let alerts = (0..<3).map { #"{"status":"firing","labels":{"i":"\#($0)"}}"# }.joined(separator: ",")
        let payload = Array(#"{"version":"4","groupKey":"g","alerts":[\#(alerts)]}"#.utf8)
        let normalizer = Normalizer(limits: .init(maxEventsPerMessage: 2))
        #expect(code { try normalizer.normalize(NormalizerInput(payload: payload)) } == .tooManyEvents)
    }

    @Test func missingTimesFallBackToTheRecordTimestamp() throws {
        let received = Timestamp(rfc3339: "2026-11-24T10:00:00Z")!
        let event = try Normalizer().normalize(NormalizerInput(payload: alertmanager, receivedAt: received))[0]
        #expect(event.occurredAt == received)
    }

    @Test func reasonCodesAreStableStrings() {
        #expect(
            Rejection.Code.all.map(\.rawValue) == [
                "empty_payload", "payload_too_large", "invalid_json", "nesting_too_deep", "unrecognized_format",
                "unknown_format", "invalid_payload", "too_many_events", "not_an_alert", "sns_control", "auto_reply",
                "bounce", "delivery_report", "mailing_list", "invalid_email", "email_too_large", "too_many_headers",
                "header_too_long", "mime_too_deep", "too_many_parts",
            ]
        )
    }
}

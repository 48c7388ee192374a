import Normalizer
import Testing

@testable import Pipeline

/// How much of a dead letter is written so that it fits the dead-letter topic, with a plain size model (bytes of
/// key, value and headers plus 20 per header) instead of librdkafka's, so no broker is needed.
@Suite("Dead-letter fitting")
struct DeadLetterFittingTests {
    static let size: @Sendable (DeadLetter) -> Int = { letter in
        (letter.key?.count ?? 0) + letter.value.count
            + letter.headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) + 20 }
    }

    static func letter(value: [UInt8], command: Bool = false) -> DeadLetter {
        let original = SourceMessage(
            position: MessagePosition(partition: PartitionID(topic: "alerts.raw", partition: 1), offset: 7),
            key: Array("group-1".utf8),
            value: value,
            headers: [.init(name: "trace", text: "t-1")]
        )
        let event = sampleEvent(description: String(repeating: "disk 97% full; ", count: 200))
        return DeadLetter(
            original: original,
            stage: command ? .deliver : .normalize,
            reason: command ? "target_rejected" : "invalid_json",
            message: "refused",
            command: command ? IncidentCommand(action: .create, dedupKey: "am:1", event: event, reason: "new") : nil,
            firstFailureAt: Timestamp(millisecondsSinceEpoch: 0),
            lastFailureAt: Timestamp(millisecondsSinceEpoch: 0),
            workerVersion: "test"
        )
    }

    static func header(_ letter: DeadLetter, _ field: DeadLetter.Field) -> String? {
        letter.headers.last { $0.name == field.rawValue }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    @Test func aLetterThatFitsIsWrittenWhole() throws {
        let letter = Self.letter(value: Array("not json".utf8), command: true)
        let fitting = DeadLetterFitting(maxBytes: 1_000_000, size: Self.size)
        let sent = try #require(fitting.first(letter))
        #expect(sent.cut == nil)
        #expect(sent.value == letter.original.value)
        #expect(Self.header(sent, .command) != nil)
        #expect(
            sent.headers.allSatisfy { header in !DeadLetter.Field.cutFields.contains { $0.rawValue == header.name } }
        )
    }

    @Test func leavingOutTheCommandComesBeforeCuttingTheValue() throws {
        let letter = Self.letter(value: Array(repeating: 0x41, count: 5000), command: true)
        let whole = Self.size(letter)
        let fitting = DeadLetterFitting(maxBytes: whole - 1, size: Self.size)
        let sent = try #require(fitting.first(letter))
        let cut = try #require(sent.cut)
        #expect(cut.leftOut == [.command])
        #expect(cut.limit == .producer)
        #expect(!cut.isIncomplete, "the message itself is whole: replay can take it")
        #expect(sent.value == letter.original.value)
        #expect(sent.key == letter.original.key)
        #expect(Self.header(sent, .command) == nil)
        #expect(Self.header(sent, .leftOut) == "command")
        #expect(Self.header(sent, .truncated) == "producer_limit")
        #expect(Self.header(sent, .originalSize) == "5000")
        #expect(Self.size(sent) <= fitting.maxBytes)
    }

    @Test func aMessageOverTheProducerLimitKeepsItsFirstBytesAndSaysWhatItWas() throws {
        let value = (0..<1_000_044).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let letter = Self.letter(value: value)
        let fitting = DeadLetterFitting(maxBytes: 1_000_000, size: Self.size)
        let sent = try #require(fitting.first(letter))
        let cut = try #require(sent.cut)
        let kept = try #require(DeadLetterFitting.valuePrefixes.first)
        #expect(cut.leftOut == [.value], "a normalize failure has no command to leave out")
        #expect(cut.isIncomplete)
        #expect(sent.value == Array(value.prefix(kept)))
        #expect(Self.header(sent, .originalSize) == "1000044")
        #expect(Self.header(sent, .leftOut) == "value")
        #expect(Self.header(sent, .reason) == "invalid_json", "the failure's own reason stays")
        #expect(Self.header(sent, .originalOffset) == "7", "and where the whole message is")
        #expect(Self.header(sent, "trace") == "t-1", "the original headers fit, so they stay")
        #expect(sent.key == letter.original.key)
        #expect(Self.size(sent) <= fitting.maxBytes)
    }

    /// Known answers from FIPS 180-2 (appendix B): "abc", and one million "a"; a cut letter carries the digest
    /// of its whole value.
    @Test func theDigestIsSHA256OfTheWholeValue() throws {
        #expect(
            DeadLetterFitting.sha256Hex(Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        let million = Array(repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(
            DeadLetterFitting.sha256Hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
        let fitting = DeadLetterFitting(maxBytes: 100_000, size: Self.size)
        let sent = try #require(fitting.first(Self.letter(value: million)))
        #expect(Self.header(sent, .originalSHA256) == DeadLetterFitting.sha256Hex(million))
        #expect(sent.cut?.originalSHA256 == DeadLetterFitting.sha256Hex(million))
        #expect(
            sent.value.count == DeadLetterFitting.valuePrefixes[1],
            "the first prefix is over 100 kB, the next fits"
        )
    }

    @Test func eachBrokerRefusalCutsSmallerUntilOnlyTheFailureHeadersAreLeft() throws {
        let letter = Self.letter(value: Array(repeating: 0x7B, count: 300_000), command: true)
        let fitting = DeadLetterFitting(maxBytes: 1_000_000, size: Self.size)
        var sent = try #require(fitting.first(letter))
        #expect(sent.cut == nil, "300 kB fits the producer: only the broker can refuse it")
        var prefixes: [Int] = []
        while let smaller = fitting.smaller(than: sent) {
            #expect(Self.size(smaller) < Self.size(sent))
            #expect(smaller.cut?.limit == .broker)
            prefixes.append(smaller.cut?.valuePrefix ?? -1)
            sent = smaller
        }
        #expect(
            prefixes == [letter.original.value.count] + DeadLetterFitting.valuePrefixes + [0],
            "the command first, then every prefix, then the headers and key"
        )
        #expect(sent.cut?.leftOut == [.command, .value, .headers, .key])
        #expect(sent.key == nil)
        #expect(Self.header(sent, "trace") == nil)
        #expect(Self.header(sent, .originalTopic) == "alerts.raw", "the way to the whole message stays")
        #expect(fitting.afterBrokerRefusal(of: sent, largestAcknowledged: 0, resends: 0) == .giveUp)
    }

    @Test func aLetterNoLargerThanOneTheBrokerTookIsSentAgainBeforeItIsCut() throws {
        let letter = Self.letter(value: Array(repeating: 0x41, count: 2000))
        let fitting = DeadLetterFitting(maxBytes: 1_000_000, size: Self.size)
        let sent = try #require(fitting.first(letter))
        let size = Self.size(sent)
        #expect(fitting.afterBrokerRefusal(of: sent, largestAcknowledged: size, resends: 0) == .resend)
        #expect(fitting.afterBrokerRefusal(of: sent, largestAcknowledged: size, resends: 1) == .resend)
        let limit = DeadLetterFitting.maxResends
        guard case .send(let cut) = fitting.afterBrokerRefusal(of: sent, largestAcknowledged: size, resends: limit)
        else {
            Issue.record("refused \(limit) times unchanged: cut all the same")
            return
        }
        #expect(cut.cut?.limit == .broker)
        guard case .send = fitting.afterBrokerRefusal(of: sent, largestAcknowledged: size - 1, resends: 0) else {
            Issue.record("larger than anything the broker took: cut at once")
            return
        }
    }

    @Test func aProducerLimitBelowTheFailureHeadersLeavesNothingToSend() {
        let fitting = DeadLetterFitting(maxBytes: 100, size: Self.size)
        #expect(fitting.first(Self.letter(value: Array("x".utf8))) == nil)
    }
}

extension DeadLetterFittingTests {
    static func header(_ letter: DeadLetter, _ name: String) -> String? {
        letter.headers.last { $0.name == name }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }
}

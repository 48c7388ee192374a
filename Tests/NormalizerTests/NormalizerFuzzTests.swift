import Foundation
import Testing

@testable import Normalizer

/// Random bytes and mutated fixtures must end as events or a rejection: never a crash, never a hang.
///
/// Deterministic (fixed seeds), so a failure reproduces; the time limits turn a hang into a failure instead of a
/// stuck CI job. Serialized, and each test yields after every fixture: they are seconds of pure CPU, and run side by
/// side they held both of a 2-core machine's cooperative threads long enough to time out the waits of other suites.
@Suite("Normalizer fuzz", .serialized, .timeLimit(.minutes(2)))
struct NormalizerFuzzTests {
    /// SplitMix64; the Normalizer tests do not depend on the fakes module that exports one.
    struct Generator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    }

    /// Fragments that stress the JSON, timestamp and MIME readers where they branch.
    static let interesting: [[UInt8]] =
        [
            "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud800", "0001-01-01T00:00:00Z", ".999999999", "+02:00",
            "null", "1e999", "-0", "\u{0}", "é", "🚀", "\r\n", "\n\n", "\r\n\r\n", "--", "--b--", "\r\n ", "=\r\n",
            "=?utf-8?b?", "=?iso-2022-jp?B?GyRC", "?=", "=C3", "Content-Type: multipart/mixed; boundary=b\r\n",
            "Content-Transfer-Encoding: base64\r\n", "filename*0*=UTF-8''%C3", "charset=\"x-unknown\"", "<", ">",
            "Re: ", "[fwd: ", "References: <a@b>\r\n", "&#x", "<p>", "<script>",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x1B, 0x24, 0x42], [0x1B, 0x28]]

    /// Every fixture in the bundle, with the format it belongs to.
    static func allFixtures() throws -> [(name: String, bytes: [UInt8])] {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        var found: [(String, [UInt8])] = []
        for case let url as URL in enumerator where ["json", "eml"].contains(url.pathExtension) {
            found.append((url.lastPathComponent, Array(try Data(contentsOf: url))))
        }
        return found.sorted { $0.0 < $1.0 }
    }

    static func mutate(_ seed: [UInt8], _ random: inout Generator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + random.below(6)) {
            let position = random.below(bytes.count + 1)
            switch random.below(5) {
            case 0 where !bytes.isEmpty: bytes.remove(at: min(position, bytes.count - 1))
            case 1: bytes.insert(contentsOf: interesting[random.below(interesting.count)], at: position)
            case 2 where !bytes.isEmpty:
                bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: random.next())
            case 3 where bytes.count > 2:
                // Cut a slice out: truncated messages, lost closing delimiters.
                let end = min(bytes.count, position + random.below(256))
                bytes.removeSubrange(min(position, end)..<end)
            default: bytes.insert(contentsOf: bytes[position...].prefix(random.below(64)), at: position)
            }
        }
        return bytes
    }

    /// One call; anything other than events or a ``Rejection`` fails the test.
    static func run(_ normalizer: Normalizer, _ bytes: [UInt8], _ format: SourceFormat) -> Bool {
        do {
            _ = try normalizer.normalize(NormalizerInput(payload: bytes), format: format)
            return true
        } catch {
            #expect(!error.message.isEmpty, "a rejection says why")
            return false
        }
    }

    static let normalizer = Normalizer(
        limits: .init(maxPayloadBytes: 64 * 1024, maxJSONDepth: 16, maxEventsPerMessage: 50, maxMIMEParts: 64)
    )

    /// Mutations per fixture: 60 in CI; `INGESTOR_FUZZ_ROUNDS=1000 swift test --filter fuzz` digs deeper.
    static let rounds = ProcessInfo.processInfo.environment["INGESTOR_FUZZ_ROUNDS"].flatMap { Int($0) } ?? 60

    @Test func mutatedFixturesNeverCrashOrHang() async throws {
        let fixtures = try Self.allFixtures()
        #expect(fixtures.count > 70, "every decoder's fixtures take part")
        var random = Generator(
            seed: ProcessInfo.processInfo.environment["INGESTOR_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED
        )
        var outcomes = [0, 0]
        for (name, seed) in fixtures {
            await Task.yield()
            let own: SourceFormat = name.hasSuffix(".eml") ? .email : .auto
            for round in 0..<Self.rounds {
                let bytes = Self.mutate(seed, &random)
                let decoded = Self.run(Self.normalizer, bytes, round.isMultiple(of: 2) ? .auto : own)
                outcomes[decoded ? 0 : 1] += 1
            }
        }
        #expect(outcomes[0] > 0, "some mutations must still decode")
        #expect(outcomes[1] > 0, "some mutations must be rejected")
    }

    /// What `schemas/normalized-event.schema.json` requires of every event, checked in-process (SchemaTests runs the
    /// real validator over the fixtures' events).
    static func expectSchemaPromises(_ event: NormalizedEvent, _ name: String) {
        #expect(!event.source.isEmpty && !event.dedupKey.isEmpty && !event.title.isEmpty, "\(name)")
        #expect(event.status == .resolved || event.resolvedAt == nil, "\(name): resolvedAt only when resolved")
        #expect(event.links.allSatisfy { !$0.href.isEmpty }, "\(name)")
        #expect(event.attachments.allSatisfy { $0.size >= 0 && !$0.contentType.isEmpty }, "\(name)")
        #expect(!event.description.utf8.contains(0x0D) || event.source != "email", "\(name): line feeds only")
    }

    /// Detection on mutated fixtures never traps, explains the same outcome `normalize` gives, and every event it
    /// accepts keeps the schema's promises.
    @Test func detectionOnMutatedFixturesNeverThrowsAnythingButARejection() async throws {
        var random = Generator(seed: 0xDE7EC7)
        var accepted = 0
        for (name, seed) in try Self.allFixtures() {
            await Task.yield()
            for _ in 0..<max(Self.rounds / 6, 4) {
                let bytes = Self.mutate(seed, &random)
                let input = NormalizerInput(payload: bytes, receivedAt: Timestamp(millisecondsSinceEpoch: 0))
                let explanation = Self.normalizer.explain(input, route: SourceRoute())
                let direct = Result { try Self.normalizer.normalize(input) }
                switch (explanation.outcome, direct) {
                case (.success(let events), .success(let same)):
                    #expect(events == same, "\(name)")
                    accepted += events.count
                    for event in events { Self.expectSchemaPromises(event, name) }
                case (.failure(let rejection), .failure(let same as Rejection)):
                    #expect(rejection.code == same.code && !rejection.message.isEmpty, "\(name)")
                default:
                    Issue.record("\(name): explain and normalize disagree on a mutation")
                }
            }
        }
        #expect(accepted > 0)
    }

    @Test func everyFormatSurvivesEveryOtherFormatsFixtures() async throws {
        let fixtures = try Self.allFixtures()
        for format in Self.normalizer.knownFormats {
            await Task.yield()
            for (_, bytes) in fixtures { _ = Self.run(Self.normalizer, bytes, format) }
        }
    }

    @Test func randomBytesNeverCrash() {
        var random = Generator(seed: 0xB17E5)
        let formats = Self.normalizer.knownFormats
        for round in 0..<6000 {
            let count = random.below(512)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            // Half start like mail, so the random part reaches the MIME reader.
            if round.isMultiple(of: 2) {
                bytes = Array("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n".utf8) + bytes
            }
            _ = Self.run(Self.normalizer, bytes, formats[random.below(formats.count)])
        }
    }

    @Test func timestampParserSurvivesGarbage() {
        var random = Generator(seed: 7)
        let alphabet = Array("0123456789-:.TZz+ tx".utf8)
        for _ in 0..<20000 {
            let text = String(
                decoding: (0..<random.below(40)).map { _ in alphabet[random.below(alphabet.count)] },
                as: UTF8.self
            )
            _ = Timestamp(rfc3339: text)
            _ = MailDate.parse(text)
        }
    }

    @Test func emailPiecesSurviveGarbage() {
        var random = Generator(seed: 0xE1)
        let alphabet = Array("=?_QqBb*'%;\"\\<>&#x;abc0123 \r\n\t[]:".utf8) + [0xC3, 0xFF, 0x1B]
        for _ in 0..<5000 {
            let bytes = (0..<random.below(80)).map { _ in alphabet[random.below(alphabet.count)] }
            let text = String(decoding: bytes, as: UTF8.self)
            var guessed = false
            _ = EncodedWords.decode(text, fallback: "windows-1252", guessed: &guessed)
            _ = HeaderParameters(text, fallback: "windows-1252")
            _ = HTMLText.text(from: text)
            _ = EmailDecoder.baseSubject(text)
            _ = EmailDecoder.messageIDs(text)
            _ = TransferEncoding.quotedPrintable(bytes, header: random.below(2) == 0)
            _ = TransferEncoding.base64(bytes)
            _ = Charset.decode(
                bytes,
                label: ["iso-2022-jp", "shift_jis", "utf-7", nil][random.below(4)],
                fallback: "x",
                guessed: &guessed
            )
        }
    }
}

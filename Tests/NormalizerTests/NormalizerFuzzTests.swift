import Normalizer
import Testing

/// Random bytes and mutated fixtures must end as events or a rejection: never a crash, never a hang.
@Suite("Normalizer fuzz")
struct NormalizerFuzzTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    }

    static let interesting: [[UInt8]] =
        [
            "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud800", "0001-01-01T00:00:00Z", ".999999999", "+02:00",
            "null", "1e999", "-0", "\u{0}", "é", "🚀",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80]]

    @Test func mutatedFixturesNeverCrash() throws {
        let seeds = [
            try fixture("alertmanager/group-mixed.json"), try fixture("alertmanager/old-sender-no-fingerprint.json"),
        ]
        let normalizer = Normalizer(
            limits: .init(maxPayloadBytes: 64 * 1024, maxJSONDepth: 16, maxEventsPerMessage: 50)
        )
        var random = Generator(state: 0x5EED)
        var outcomes = [0, 0]
        for _ in 0..<4000 {
            var bytes = seeds[random.below(seeds.count)]
            for _ in 0..<(1 + random.below(6)) {
                let position = random.below(bytes.count + 1)
                switch random.below(4) {
                case 0 where !bytes.isEmpty: bytes.remove(at: min(position, bytes.count - 1))
                case 1: bytes.insert(contentsOf: Self.interesting[random.below(Self.interesting.count)], at: position)
                case 2 where !bytes.isEmpty:
                    bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: random.next())
                default: bytes.insert(contentsOf: bytes[position...].prefix(random.below(64)), at: position)
                }
            }
            do {
                _ = try normalizer.normalize(
                    NormalizerInput(payload: bytes),
                    format: random.below(2) == 0 ? .auto : .alertmanager
                )
                outcomes[0] += 1
            } catch {
                outcomes[1] += 1
            }
        }
        #expect(outcomes[0] > 0, "some mutations must still decode")
        #expect(outcomes[1] > 0, "some mutations must be rejected")
    }

    @Test func randomBytesNeverCrash() {
        let normalizer = Normalizer()
        var random = Generator(state: 0xB17E5)
        for _ in 0..<4000 {
            let count = random.below(256)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? normalizer.normalize(NormalizerInput(payload: bytes))
        }
    }

    @Test func timestampParserSurvivesGarbage() {
        var random = Generator(state: 7)
        let alphabet = Array("0123456789-:.TZz+ tx".utf8)
        for _ in 0..<20000 {
            let text = String(
                decoding: (0..<random.below(40)).map { _ in alphabet[random.below(alphabet.count)] },
                as: UTF8.self
            )
            _ = Timestamp(rfc3339: text)
        }
    }
}

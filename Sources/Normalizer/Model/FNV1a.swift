/// 64-bit FNV-1a, the hash Prometheus uses for label-set fingerprints; also used for content hashes and lane
/// assignment, where a stable, fast, non-cryptographic hash is what is needed.
public struct FNV1a: Sendable {
    /// The hash so far.
    public private(set) var value: UInt64 = 14_695_981_039_346_656_037

    /// A hash of nothing yet.
    public init() {}

    /// Mixes in one byte.
    public mutating func combine(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 1_099_511_628_211
    }

    /// Mixes in the UTF-8 bytes of `text`.
    public mutating func combine(_ text: String) {
        for byte in text.utf8 { combine(byte) }
    }

    /// The hash of `text`'s UTF-8 bytes.
    public static func hash(_ text: String) -> UInt64 {
        var hasher = FNV1a()
        hasher.combine(text)
        return hasher.value
    }
}

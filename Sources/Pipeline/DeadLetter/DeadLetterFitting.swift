import Crypto

/// Decides how much of a dead letter is written so that it fits the dead-letter topic: the whole letter when it
/// fits, else the least cut that does.
///
/// The cuts, from least to most: the `ingestor-dlq-command` header left out (the original stays whole); then the
/// value truncated to its first ``valuePrefixes`` bytes (the command header left out too); last, an empty value
/// without the original headers and key. A cut letter says what it left out and carries the original value's size
/// and SHA-256 (``DeadLetterCut``).
///
/// Two limits can refuse a letter. The producer's `message.max.bytes` is known here (``maxBytes``), so a letter
/// over it is cut before it is sent (``first(_:)``). A broker's limit (the topic's `max.message.bytes`) is only
/// learnt from a refusal, and it applies to a whole batch, so a small letter can be refused for a large one sent
/// with it: ``afterBrokerRefusal(of:largestAcknowledged:resends:)`` sends a letter no larger than one the broker
/// already took again as it is, and cuts the others smaller.
public struct DeadLetterFitting: Sendable {
    /// The value bytes a truncated letter keeps, tried largest first: 256 KiB leaves room for headers under
    /// librdkafka's default `message.max.bytes` (1,000,000) and a broker's default `max.message.bytes`
    /// (1,048,588), and keeps enough of the payload to see what it was; smaller topic limits get a smaller prefix.
    public static let valuePrefixes = [256 * 1024, 64 * 1024, 16 * 1024, 4 * 1024, 1024, 0]

    /// How often a letter the broker refused is sent again unchanged (when a letter as large was acknowledged
    /// before) before it is cut all the same.
    public static let maxResends = 2

    /// The producer's largest record (its `message.max.bytes`), as ``size`` measures.
    public let maxBytes: Int
    /// The size of the record a letter becomes, as the producer measures it against ``maxBytes``.
    public let size: @Sendable (DeadLetter) -> Int

    /// Creates a fitting for a producer whose limit is `maxBytes`.
    public init(maxBytes: Int, size: @escaping @Sendable (DeadLetter) -> Int) {
        self.maxBytes = maxBytes
        self.size = size
    }

    /// What to do after the broker refused a letter for its size.
    public enum BrokerRefusalAction: Sendable, Hashable {
        /// Send the same letter again: it is no larger than one the broker took, so its batch was the trouble.
        case resend
        /// Send this smaller cut instead.
        case send(DeadLetter)
        /// Nothing smaller is left: the refusal stands.
        case giveUp
    }

    /// The letter to send first: whole when it fits the producer's limit, else the least cut that does (limit
    /// ``DeadLetterCut/Limit/producer``).
    /// - Returns: `nil` when even the most cut letter is over the limit.
    public func first(_ letter: DeadLetter) -> DeadLetter? {
        var whole = letter
        whole.cut = nil
        if size(whole) <= maxBytes { return whole }
        return candidates(whole, limit: .producer).first { size($0) <= maxBytes }
    }

    /// The least cut of `sent`'s letter that is smaller than `sent` and within the producer's limit (limit
    /// ``DeadLetterCut/Limit/broker``).
    /// - Returns: `nil` when `sent` is already the most cut letter.
    public func smaller(than sent: DeadLetter) -> DeadLetter? {
        let sentSize = size(sent)
        var whole = sent
        whole.cut = nil
        return candidates(whole, limit: .broker).first { size($0) < sentSize && size($0) <= maxBytes }
    }

    /// The next step after the broker refused `sent` for its size.
    /// - Parameters:
    ///   - largestAcknowledged: the size of the largest letter the broker acknowledged so far.
    ///   - resends: how often `sent` was already sent again unchanged.
    public func afterBrokerRefusal(of sent: DeadLetter, largestAcknowledged: Int, resends: Int) -> BrokerRefusalAction {
        if size(sent) <= largestAcknowledged, resends < Self.maxResends { return .resend }
        return smaller(than: sent).map(BrokerRefusalAction.send) ?? .giveUp
    }

    /// Every cut of `letter`, least first. The SHA-256 of the value is computed once, here.
    func candidates(_ letter: DeadLetter, limit: DeadLetterCut.Limit) -> [DeadLetter] {
        let value = letter.original.value
        let digest = Self.sha256Hex(value)
        func cut(_ parts: Set<DeadLetterCut.Part>, keeping prefix: Int) -> DeadLetter {
            var copy = letter
            copy.cut = DeadLetterCut(
                limit: limit,
                leftOut: parts,
                valuePrefix: prefix,
                originalSize: value.count,
                originalSHA256: digest
            )
            return copy
        }
        // Only a command header the letter would carry is named as left out.
        let command: Set<DeadLetterCut.Part> =
            letter.headers.contains { $0.name == DeadLetter.Field.command.rawValue } ? [.command] : []
        var cuts: [DeadLetter] = []
        if !command.isEmpty { cuts.append(cut(command, keeping: value.count)) }
        for prefix in Self.valuePrefixes where prefix < value.count {
            cuts.append(cut(command.union([.value]), keeping: prefix))
        }
        if letter.original.key != nil || !letter.original.headers.isEmpty {
            cuts.append(cut(command.union([.value, .headers, .key]), keeping: 0))
        }
        return cuts
    }

    /// SHA-256 of `bytes`, lowercase hex.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

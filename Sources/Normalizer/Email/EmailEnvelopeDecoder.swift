/// A JSON envelope carrying a raw email: `{"rfc822": "<message>", "encoding": "base64"|"plain"}` (plain by default).
public struct EmailEnvelopeDecoder: AlertDecoder {
    let limits: Normalizer.Limits

    /// Creates the decoder with the normalizer's limits.
    public init(limits: Normalizer.Limits) {
        self.limits = limits
    }

    public var format: SourceFormat { .email }
    public var detectionRank: Int? { 15 }
    public var detectionRule: String { "`rfc822` (a string: the raw message)" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["rfc822"]?.string != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let raw = object["rfc822"]?.string else {
            throw Rejection(.invalidPayload, "email envelope: rfc822 is required")
        }
        let bytes: [UInt8]
        switch object.text("encoding")?.lowercased() ?? "plain" {
        case "base64": bytes = TransferEncoding.base64(Array(raw.utf8))
        case "plain": bytes = Array(raw.utf8)
        case let other: throw Rejection(.invalidPayload, "email envelope: encoding \(other) is not base64 or plain")
        }
        guard !bytes.isEmpty else { throw Rejection(.invalidEmail, "email envelope: the message is empty") }
        return try EmailDecoder(limits: limits).decode(bytes, context: context)
    }
}

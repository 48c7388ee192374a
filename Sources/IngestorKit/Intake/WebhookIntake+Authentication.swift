import Crypto
import Foundation
import IncidentAPI

// MARK: - WebhookIntake + Authentication

extension WebhookIntake {
    /// What can be proven from the headers alone: a bearer token entirely; for an HMAC source only that the
    /// signature header is there and has the algorithm's length (the signature itself covers the body).
    func authenticateHead(_ source: IntakeConfiguration.Source, header: (String) -> String?) -> Response? {
        switch source.authentication {
        case .none:
            return nil
        case .bearer(let token):
            let given = header("authorization").flatMap { value -> String? in
                let parts = value.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
            guard let given, Self.constantTimeEqual(Array(given.utf8), Array(token.exposedValue.utf8)) else {
                return unauthorized(
                    source,
                    given == nil ? "missing_credentials" : "invalid_credentials",
                    scheme: "Bearer"
                )
            }
            return nil
        case .hmac(let check):
            guard let value = header(check.header.lowercased()) else {
                return unauthorized(source, "missing_signature", scheme: nil)
            }
            guard Self.signature(value, check) != nil else {
                return unauthorized(source, "invalid_signature", scheme: nil)
            }
            return nil
        }
    }

    /// What needs the body: an HMAC source's signature (its header was checked by ``authenticateHead(_:header:)``).
    func authenticateBody(_ source: IntakeConfiguration.Source, header: (String) -> String?, body: [UInt8]) -> Response?
    {
        guard case .hmac(let check) = source.authentication else { return nil }
        guard let signature = header(check.header.lowercased()).flatMap({ Self.signature($0, check) }),
            Self.validHMAC(signature, body: body, secret: check.secret, algorithm: check.algorithm)
        else { return unauthorized(source, "invalid_signature", scheme: nil) }
        return nil
    }

    private func unauthorized(_ source: IntakeConfiguration.Source, _ reason: String, scheme: String?) -> Response {
        reject(source.name, reason)
        return Response(
            status: 401,
            headers: scheme.map { [HTTPHeader("WWW-Authenticate", "\($0) realm=\"ingestor\"")] } ?? [],
            body: Self.error("not authorized (\(reason.replacingOccurrences(of: "_", with: " ")))")
        )
    }

    /// The signature bytes of a header value: its prefix removed, decoded, and as long as the algorithm's digest.
    static func signature(_ value: String, _ check: IntakeConfiguration.HMACCheck) -> [UInt8]? {
        guard value.hasPrefix(check.prefix),
            let bytes = decode(String(value.dropFirst(check.prefix.count)), encoding: check.encoding)
        else { return nil }
        let length =
            switch check.algorithm {
            case "sha1": Insecure.SHA1.byteCount
            case "sha512": SHA512.byteCount
            default: SHA256.byteCount
            }
        return bytes.count == length ? bytes : nil
    }

    static func validHMAC(_ signature: [UInt8], body: [UInt8], secret: Secret, algorithm: String) -> Bool {
        let key = SymmetricKey(data: Array(secret.exposedValue.utf8))
        switch algorithm {
        case "sha1": return HMAC<Insecure.SHA1>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        case "sha512": return HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        default: return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        }
    }

    static func decode(_ text: String, encoding: String) -> [UInt8]? {
        if encoding == "base64" { return Data(base64Encoded: text).map(Array.init) }
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Compares without an early exit, so the time taken does not tell how much of a token was right.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }
}

import Foundation
import Normalizer
import Synchronization

/// Access tokens a fake has issued, so it can tell live tokens from made-up or expired ones.
final class TokenBook: Sendable {
    private let state = Mutex<(issued: Int, live: Set<String>)>((0, []))
    private let prefix: String

    init(prefix: String) {
        self.prefix = prefix
    }

    /// A new token; `format` shapes it from the issue number (default `<prefix>-token-<n>-<hash>`).
    func issue(format: ((Int) -> String)? = nil) -> String {
        state.withLock { state in
            state.issued += 1
            let token =
                format?(state.issued)
                ?? "\(prefix)-token-\(state.issued)-\(String(FNV1a.hash("\(prefix)\(state.issued)"), radix: 16))"
            state.live.insert(token)
            return token
        }
    }

    func isValid(_ token: String) -> Bool { state.withLock { $0.live.contains(token) } }

    /// Tokens issued so far.
    var issued: Int { state.withLock { $0.issued } }

    /// Forgets every token (expiry, restart).
    func revokeAll() { state.withLock { $0.live.removeAll() } }
}

/// Form bodies and Basic credentials as token endpoints receive them.
enum FakeForm {
    /// The fields of a `multipart/form-data` body, or `nil` when it is not one.
    static func multipart(_ request: FakeRequest) -> [String: String]? {
        guard let contentType = request.headers["content-type"],
            let range = contentType.firstRange(of: "boundary=")
        else { return nil }
        let boundary = "--" + contentType[range.upperBound...].trimmingCharacters(in: "\"")
        let text = String(decoding: request.body, as: UTF8.self)
        var fields: [String: String] = [:]
        for part in text.split(separator: boundary, omittingEmptySubsequences: true) {
            guard let split = part.firstRange(of: "\r\n\r\n") else { continue }
            let head = part[..<split.lowerBound]
            var value = String(part[split.upperBound...])
            // "\r\n" is one Character: drop it as one.
            if value.hasSuffix("\r\n") { value.removeLast() }
            guard let nameRange = head.firstRange(of: "name=\"") else { continue }
            let rest = head[nameRange.upperBound...]
            guard let close = rest.firstIndex(of: "\"") else { continue }
            fields[String(rest[..<close])] = value
        }
        return fields
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    static func urlEncoded(_ request: FakeRequest) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            fields[percentDecoded(parts[0])] = parts.count > 1 ? percentDecoded(parts[1]) : ""
        }
        return fields
    }

    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? 0x20 : byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

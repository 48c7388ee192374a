public import Normalizer

/// RFC 6901 JSON Pointers (`/data/id`, `/items/0/id`), for taking ids out of vendor answers.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The reference tokens, unescaped.
    public let tokens: [String]
    /// The pointer as written.
    public let description: String

    /// Parses a pointer; `nil` unless it is empty or starts with `/`.
    public init?(_ text: String) {
        guard text.isEmpty || text.hasPrefix("/") else { return nil }
        description = text
        if text.isEmpty {
            tokens = []
        } else {
            let raw = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            tokens = raw.map { token -> String in
                String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            }
        }
    }

    /// The value the pointer names in `document`, or `nil`.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(token), array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}

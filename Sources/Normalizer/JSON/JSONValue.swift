/// A parsed JSON document.
///
/// Numbers keep their source text so that identifiers and timestamps larger than 2^53 never pass
/// through `Double` (INPUT-FORMATS.md §0.4).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number, exactly as written in the source.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The string value, or `nil` for any other kind.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The object value, or `nil` for any other kind.
    public var object: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The array value, or `nil` for any other kind.
    public var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The number as an `Int64` when it is an integer that fits, or `nil`.
    public var int64: Int64? {
        if case .number(let text) = self { return Int64(text) }
        return nil
    }

    /// The number as a `Double`, or `nil` when this is not a number.
    public var double: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// A string rendering of a scalar (string, number or bool), for fields that senders fill inconsistently.
    public var scalarText: String? {
        switch self {
        case .string(let value): return value
        case .number(let text): return text
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }

    /// The member named `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        object?[key]
    }
}

/// A JSON object that remembers the order its members were written in.
public struct JSONObject: Sendable, Hashable {
    /// Member names in source order.
    public private(set) var keys: [String] = []
    private var storage: [String: JSONValue] = [:]

    /// Creates an empty object.
    public init() {}

    /// Creates an object from name/value pairs; later duplicates replace earlier ones.
    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of members.
    public var count: Int { keys.count }

    /// The member named `key`; assigning `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Members in source order.
    public var members: [(key: String, value: JSONValue)] {
        keys.map { ($0, storage[$0]!) }
    }

    /// Members whose values are strings (numbers and bools rendered as text), in source order.
    public var stringMembers: [(key: String, value: String)] {
        keys.compactMap { key in storage[key]?.scalarText.map { (key, $0) } }
    }
}

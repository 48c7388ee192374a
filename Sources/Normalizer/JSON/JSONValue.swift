/// A parsed JSON document.
///
/// Numbers keep their source text so that identifiers and timestamps larger than 2^53 never pass
/// through `Double` (Opsgenie's nanosecond `updatedAt` is larger).
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
///
/// Members live in two parallel arrays; lookups scan them while the object is small (alerts' objects mostly have
/// a handful of members, and comparing short keys is cheaper than hashing them) and use an index past
/// ``indexThreshold`` members.
public struct JSONObject: Sendable, Hashable {
    /// Member names in source order.
    public private(set) var keys: [String] = []
    private var values: [JSONValue] = []
    /// Key → position, only for objects with more than ``indexThreshold`` members.
    private var index: [String: Int]?

    /// Objects with more members than this get a hash index.
    static let indexThreshold = 12

    /// Creates an empty object.
    public init() {}

    /// Creates an object from name/value pairs; later duplicates replace earlier ones.
    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of members.
    public var count: Int { keys.count }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        // Comparing lengths first is inline and cheap; most members differ in length from the wanted key, and a
        // String comparison that fails costs a call into the runtime.
        let length = key.utf8.count
        for position in keys.indices where keys[position].utf8.count == length && keys[position] == key {
            return position
        }
        return nil
    }

    /// Adds a member the parser read, unless one with the same name is already there; returns that one's value
    /// then. One scan where a lookup and an assignment would make two.
    mutating func appendParsed(_ key: String, _ value: JSONValue) -> JSONValue? {
        if let existing = position(of: key) { return values[existing] }
        if keys.isEmpty {
            // Most objects in alerts have a handful of members: one allocation instead of growing 1, 2, 4, 8.
            keys.reserveCapacity(8)
            values.reserveCapacity(8)
        }
        keys.append(key)
        values.append(value)
        if index != nil {
            index?[key] = keys.count - 1
        } else if keys.count > Self.indexThreshold {
            index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        }
        return nil
    }

    /// The member named `key`; assigning `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { values[$0] } }
        set {
            if let newValue {
                if let existing = position(of: key) {
                    values[existing] = newValue
                    return
                }
                _ = appendParsed(key, newValue)
            } else if let existing = position(of: key) {
                keys.remove(at: existing)
                values.remove(at: existing)
                if index != nil {
                    index =
                        keys.count > Self.indexThreshold
                        ? Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) }) : nil
                }
            }
        }
    }

    /// Members in source order.
    public var members: [(key: String, value: JSONValue)] {
        zip(keys, values).map { ($0, $1) }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.keys == rhs.keys && lhs.values == rhs.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        hasher.combine(values)
    }

    /// Members whose values are strings (numbers and bools rendered as text), in source order.
    public var stringMembers: [(key: String, value: String)] {
        zip(keys, values).compactMap { key, value in value.scalarText.map { (key, $0) } }
    }
}

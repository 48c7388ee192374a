extension JSONObject {
    /// The member `key` when it is a non-empty scalar, as text (the one-key form saves building an array).
    func text(_ key: String) -> String? {
        self[key]?.scalarText?.nonEmpty
    }

    /// The first of `keys` with a non-empty scalar value, as text.
    func text(_ keys: String...) -> String? {
        for key in keys {
            if let text = self[key]?.scalarText?.nonEmpty { return text }
        }
        return nil
    }

    /// The member `key` as an object.
    func object(_ key: String) -> JSONObject? { self[key]?.object }

    /// The member `key` as an array.
    func array(_ key: String) -> [JSONValue]? { self[key]?.array }
}

extension JSONValue {
    /// The value at a dotted path such as `data.essentials.alertId`; array elements by index (`links.0.href`).
    func at(path: String) -> JSONValue? {
        var current: JSONValue? = self
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let value = current else { return nil }
            if let object = value.object {
                current = object[String(component)]
            } else if let array = value.array, let index = Int(component), array.indices.contains(index) {
                current = array[index]
            } else {
                return nil
            }
        }
        return current
    }
}

/// Builds label sets with bounds, so a hostile payload cannot blow up an event.
struct LabelBuilder {
    static let maxLabels = 256
    static let maxValueLength = 1024

    private(set) var labels: [String: String] = [:]

    init(_ initial: [String: String] = [:]) {
        for (key, value) in initial { set(key, value) }
    }

    /// Makes room for `more` labels beyond the present ones.
    mutating func reserve(_ more: Int) {
        labels.reserveCapacity(min(labels.count + more, Self.maxLabels))
    }

    /// Sets a label, cutting long values; ignores labels past the limit.
    mutating func set(_ key: String, _ value: String?) {
        guard let value, !key.isEmpty else { return }
        guard labels.count < Self.maxLabels || labels[key] != nil else { return }
        // No more UTF-8 bytes than the limit means no more characters either; counting characters walks the string.
        let long = value.utf8.count > Self.maxValueLength && value.count > Self.maxValueLength
        labels[key] = long ? String(value.prefix(Self.maxValueLength)) + "…" : value
    }

    /// Adds every scalar member of `object`, nested objects flattened with `.`, arrays of scalars joined with `,`.
    mutating func flatten(_ value: JSONValue?, prefix: String, depth: Int = 3) {
        guard let value else { return }
        switch value {
        case .object(let object):
            guard depth > 0 else {
                set(prefix, JSONWriter.string(value))
                return
            }
            for (key, member) in object.members {
                flatten(member, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", depth: depth - 1)
            }
        case .array(let elements):
            let scalars = elements.compactMap(\.scalarText)
            set(prefix, scalars.count == elements.count ? scalars.joined(separator: ",") : JSONWriter.string(value))
        case .null:
            return
        default:
            set(prefix, value.scalarText)
        }
    }
}

extension Timestamp {
    /// From whole seconds since the epoch.
    init(epochSeconds: Int64) {
        self.init(millisecondsSinceEpoch: epochSeconds &* 1000)
    }

    /// From a number or numeric text of seconds, milliseconds, microseconds or nanoseconds since the epoch, told
    /// apart by magnitude; integers are read from their digits, never through `Double` (Opsgenie's nanoseconds exceed
    /// 2^53).
    /// Zero and negative values mean "unset" and give `nil`.
    init?(epoch value: JSONValue) {
        guard let text = value.scalarText?.trimmingWhitespace(), !text.isEmpty else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = Int64(parts[0]), whole > 0 else { return nil }
        let fraction = parts.count == 2 ? Double("0." + parts[1]) ?? 0 : 0
        switch whole {
        case ..<100_000_000_000:  // seconds (until the year 5138)
            self.init(millisecondsSinceEpoch: whole * 1000 + Int64(fraction * 1000))
        case ..<100_000_000_000_000:  // milliseconds
            self.init(millisecondsSinceEpoch: whole)
        case ..<100_000_000_000_000_000:  // microseconds
            self.init(millisecondsSinceEpoch: whole / 1000)
        default:  // nanoseconds
            self.init(millisecondsSinceEpoch: whole / 1_000_000)
        }
    }

    /// From RFC 3339 text, or from an epoch number or numeric text; `nil` for unset or malformed values.
    init?(flexible value: JSONValue?) {
        guard let value else { return nil }
        if case .string(let text) = value, let parsed = Timestamp(rfc3339: text) {
            self = parsed
        } else if let parsed = Timestamp(epoch: value) {
            self = parsed
        } else {
            return nil
        }
    }
}

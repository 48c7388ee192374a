/// Serializes ``JSONValue`` to compact UTF-8 JSON.
public enum JSONWriter {
    /// Renders `value` as compact JSON text.
    /// - Parameter sortedKeys: when `true`, object members are written in byte order of their names, which makes
    ///   output stable for tests and for content hashes; otherwise in insertion order.
    public static func string(_ value: JSONValue, sortedKeys: Bool = false) -> String {
        var out = ""
        write(value, into: &out, sortedKeys: sortedKeys, indent: nil, level: 0)
        return out
    }

    /// Renders `value` as indented JSON text, for people.
    public static func pretty(_ value: JSONValue, sortedKeys: Bool = false) -> String {
        var out = ""
        write(value, into: &out, sortedKeys: sortedKeys, indent: "  ", level: 0)
        return out
    }

    /// Renders `value` as compact JSON bytes.
    public static func bytes(_ value: JSONValue, sortedKeys: Bool = false) -> [UInt8] {
        Array(string(value, sortedKeys: sortedKeys).utf8)
    }

    private static func write(_ value: JSONValue, into out: inout String, sortedKeys: Bool, indent: String?, level: Int)
    {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): writeString(text, into: &out)
        case .array(let elements):
            if elements.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { out += "," }
                newline(&out, indent: indent, level: level + 1)
                write(element, into: &out, sortedKeys: sortedKeys, indent: indent, level: level + 1)
            }
            newline(&out, indent: indent, level: level)
            out += "]"
        case .object(let object):
            if object.count == 0 {
                out += "{}"
                return
            }
            out += "{"
            let keys = sortedKeys ? object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } : object.keys
            for (position, key) in keys.enumerated() {
                if position > 0 { out += "," }
                newline(&out, indent: indent, level: level + 1)
                writeString(key, into: &out)
                out += indent == nil ? ":" : ": "
                write(object[key]!, into: &out, sortedKeys: sortedKeys, indent: indent, level: level + 1)
            }
            newline(&out, indent: indent, level: level)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, indent: String?, level: Int) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    /// Appends `text` as a JSON string literal, escaping quotes, backslashes and control characters.
    public static func writeString(_ text: String, into out: inout String) {
        out += "\""
        var pendingStart = text.utf8.startIndex
        let utf8 = text.utf8
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 {
                out += String(text[pendingStart..<index])
                switch byte {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                default:
                    let hex = String(byte, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                pendingStart = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        out += String(text[pendingStart..<utf8.endIndex])
        out += "\""
    }
}

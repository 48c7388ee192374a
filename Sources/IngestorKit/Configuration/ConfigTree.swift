import Foundation
import Yams

/// A configuration document as a plain tree, after YAML parsing and environment overrides.
indirect enum ConfigValue: Sendable, Equatable {
    case null
    case scalar(String)
    case list([ConfigValue])
    case map([ConfigEntry])

    /// Parses YAML text into a tree.
    static func parse(yaml text: String) throws -> ConfigValue {
        guard let node = try Yams.compose(yaml: text) else { return .map([]) }
        return ConfigValue(node)
    }

    private init(_ node: Node) {
        switch node {
        case .scalar(let scalar):
            self = node.null != nil ? .null : .scalar(scalar.string)
        case .sequence(let sequence):
            self = .list(sequence.map(ConfigValue.init))
        case .mapping(let mapping):
            self = .map(mapping.map { ConfigEntry(key: $0.key.string ?? "\($0.key)", value: ConfigValue($0.value)) })
        case .alias:
            self = .null
        }
    }

    /// The entries of a map, or `nil`.
    var entries: [ConfigEntry]? {
        if case .map(let entries) = self { return entries }
        return nil
    }

    /// The value at a key of a map.
    subscript(key: String) -> ConfigValue? {
        entries?.last { $0.key == key }?.value
    }

    /// A copy with the scalar at `path` replaced, creating maps on the way.
    func setting(_ path: ArraySlice<String>, to value: String) -> ConfigValue {
        guard let key = path.first else { return .scalar(value) }
        var entries = self.entries ?? []
        let existing = entries.lastIndex { $0.key == key }
        let child = existing.map { entries[$0].value } ?? .map([])
        let updated = child.setting(path.dropFirst(), to: value)
        if let existing {
            entries[existing].value = updated
        } else {
            entries.append(ConfigEntry(key: key, value: updated))
        }
        return .map(entries)
    }

    /// Applies `INGESTOR_*` environment overrides: `INGESTOR_KAFKA__GROUP_ID=x` sets `kafka.group_id`.
    /// Levels are separated by a double underscore; names are lower-cased.
    /// - Returns: the tree, and the variable that set each key path (`kafka.group_id` → `INGESTOR_KAFKA__GROUP_ID`).
    func applyingEnvironment(
        _ environment: [String: String],
        prefix: String = "INGESTOR_"
    ) -> (ConfigValue, [String: String]) {
        var result = self
        var applied: [String: String] = [:]
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
            let path = name.dropFirst(prefix.count).lowercased().components(separatedBy: "__")
            guard !path.isEmpty, !path.contains("") else { continue }
            result = result.setting(path[...], to: value)
            applied[path.joined(separator: ".")] = name
        }
        return (result, applied)
    }
}

/// One key of a configuration map.
struct ConfigEntry: Sendable, Equatable {
    var key: String
    var value: ConfigValue
}

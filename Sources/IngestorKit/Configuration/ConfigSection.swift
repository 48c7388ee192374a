/// Reads one map of the configuration tree, recording problems with their key paths instead of stopping at the
/// first, and reporting keys nobody read (typos) when finished.
final class ConfigSection {
    let path: String
    /// The process environment, where `{env: NAME}` secrets are found.
    let environment: [String: String]
    private let value: ConfigValue?
    private let problems: ProblemList
    private var read: Set<String> = []

    final class ProblemList {
        var items: [ConfigProblem] = []
    }

    init(path: String, value: ConfigValue?, problems: ProblemList, environment: [String: String] = [:]) {
        self.path = path
        self.environment = environment
        self.value = value
        self.problems = problems
        if let value, value != .null, value.entries == nil {
            problems.items.append(
                ConfigProblem(path: path.isEmpty ? "(root)" : path, value: nil, rule: "must be a map of keys")
            )
        }
    }

    /// Problems found so far in the whole document.
    var problemCount: Int { problems.items.count }

    /// Whether the section is present in the document.
    var isPresent: Bool { value != nil && value != .null }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func problem(_ name: String, _ value: String?, _ rule: String) {
        problems.items.append(ConfigProblem(path: key(name), value: value, rule: rule))
    }

    /// The raw value of a key, marking it read.
    func raw(_ name: String) -> ConfigValue? {
        read.insert(name)
        guard let found = value?[name], found != .null else { return nil }
        return found
    }

    /// A scalar string read without marking the key as read (for values another section validates).
    func peekString(_ name: String) -> String? {
        guard case .scalar(let text) = value?[name] else { return nil }
        return text
    }

    /// A nested map.
    func section(_ name: String) -> ConfigSection {
        ConfigSection(path: key(name), value: raw(name), problems: problems, environment: environment)
    }

    /// A scalar string.
    func string(_ name: String) -> String? {
        guard let found = raw(name) else { return nil }
        guard case .scalar(let text) = found else {
            problem(name, nil, "must be a single value")
            return nil
        }
        return text
    }

    /// A scalar string that must be present and non-empty.
    func requiredString(_ name: String, hint: String) -> String? {
        guard let text = string(name) else {
            if raw(name) == nil { problem(name, nil, "is required: \(hint)") }
            return nil
        }
        guard !text.isEmpty else {
            problem(name, text, "must not be empty: \(hint)")
            return nil
        }
        return text
    }

    /// An integer within `range`.
    func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let text = string(name) else { return fallback }
        guard let number = Int(text.replacingUnderscores()) else {
            problem(name, text, "must be a whole number")
            return fallback
        }
        guard range.contains(number) else {
            problem(name, text, "must be between \(range.lowerBound) and \(range.upperBound)")
            return fallback
        }
        return number
    }

    /// A number within `range`.
    func double(_ name: String, default fallback: Double, in range: ClosedRange<Double>) -> Double {
        guard let text = string(name) else { return fallback }
        guard let number = Double(text), range.contains(number) else {
            problem(name, text, "must be a number between \(range.lowerBound) and \(range.upperBound)")
            return fallback
        }
        return number
    }

    /// A duration written with a unit: `250ms`, `30s`, `5m`, `1h`.
    func duration(_ name: String, default fallback: Duration, in range: ClosedRange<Duration>? = nil) -> Duration {
        guard let text = string(name) else { return fallback }
        guard let duration = Self.parseDuration(text) else {
            problem(name, text, "must be a duration such as 500ms, 30s, 5m or 1h")
            return fallback
        }
        if let range, !range.contains(duration) {
            problem(name, text, "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))")
            return fallback
        }
        return duration
    }

    /// A boolean.
    func bool(_ name: String, default fallback: Bool) -> Bool {
        guard let text = string(name) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            problem(name, text, "must be true or false")
            return fallback
        }
    }

    /// One of a fixed set of words.
    func choice(_ name: String, default fallback: String, from allowed: [String]) -> String {
        guard let text = string(name) else { return fallback }
        guard allowed.contains(text.lowercased()) else {
            problem(name, text, "must be one of \(allowed.joined(separator: ", "))")
            return fallback
        }
        return text.lowercased()
    }

    /// A list of strings, written as a YAML list or as one comma-separated value (handy in environment variables).
    func stringList(_ name: String) -> [String]? {
        guard let found = raw(name) else { return nil }
        switch found {
        case .scalar(let text):
            return text.split(separator: ",").map { String($0).trimmed() }.filter { !$0.isEmpty }
        case .list(let items):
            var strings: [String] = []
            for (index, item) in items.enumerated() {
                guard case .scalar(let text) = item else {
                    problems.items.append(
                        ConfigProblem(path: "\(key(name))[\(index)]", value: nil, rule: "must be a single value")
                    )
                    continue
                }
                strings.append(text)
            }
            return strings
        default:
            problem(name, nil, "must be a list or a comma-separated value")
            return nil
        }
    }

    /// A map of string values.
    func stringMap(_ name: String) -> [String: String] {
        guard let found = raw(name) else { return [:] }
        guard let entries = found.entries else {
            problem(name, nil, "must be a map of keys to values")
            return [:]
        }
        var result: [String: String] = [:]
        for entry in entries {
            guard case .scalar(let text) = entry.value else {
                problems.items.append(
                    ConfigProblem(path: "\(key(name)).\(entry.key)", value: nil, rule: "must be a single value")
                )
                continue
            }
            result[entry.key] = text
        }
        return result
    }

    /// The entries of a list of maps, each as a section named `name[i]`.
    func sections(_ name: String) -> [ConfigSection]? {
        guard let found = raw(name) else { return nil }
        guard case .list(let items) = found else { return nil }
        return items.enumerated().map { index, item in
            ConfigSection(path: "\(key(name))[\(index)]", value: item, problems: problems, environment: environment)
        }
    }

    /// Reports keys present in this map that nothing read, suggesting the closest known key.
    func finish() {
        guard let entries = value?.entries else { return }
        for entry in entries where !read.contains(entry.key) {
            let suggestion = read.min { Self.distance($0, entry.key) < Self.distance($1, entry.key) }
            let hint =
                suggestion.flatMap { Self.distance($0, entry.key) <= 3 ? " (did you mean \(key($0))?)" : nil } ?? ""
            problems.items.append(
                ConfigProblem(
                    path: key(entry.key),
                    value: nil,
                    rule: "is not a known key\(hint); known here: \(read.sorted().joined(separator: ", "))"
                )
            )
        }
    }

    static func parseDuration(_ text: String) -> Duration? {
        let trimmed = text.trimmed().lowercased()
        let units: [(String, (Int64) -> Duration)] = [
            ("ms", { .milliseconds($0) }), ("s", { .seconds($0) }), ("m", { .seconds($0 * 60) }),
            ("h", { .seconds($0 * 3600) }), ("d", { .seconds($0 * 86_400) }),
        ]
        if trimmed == "0" { return .zero }
        for (suffix, make) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            if let value = Int64(number), value >= 0 { return make(value) }
        }
        return nil
    }

    static func format(_ duration: Duration) -> String {
        let millis = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if millis % 1000 != 0 { return "\(millis)ms" }
        let seconds = millis / 1000
        if seconds % 86_400 == 0, seconds > 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0, seconds > 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0, seconds > 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// Levenshtein distance, for "did you mean".
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension String {
    func trimmed() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...lastIndex(where: { !isSpace($0) })!])
    }

    func replacingUnderscores() -> String { filter { $0 != "_" } }
}

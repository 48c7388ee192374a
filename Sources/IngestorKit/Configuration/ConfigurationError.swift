/// One thing wrong with a configuration: where, what was there, and the rule it broke.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    /// The full key path, e.g. `kafka.session_timeout`.
    public var path: String
    /// The offending value as written, if there was one (secrets are never shown).
    public var value: String?
    /// The rule, e.g. `must be a duration such as 500ms, 30s or 5m`.
    public var rule: String
    /// The environment variable the value came from (`INGESTOR_PIPELINE__LANES`), when it did not come from the
    /// file.
    public var variable: String?

    /// Creates a problem.
    public init(path: String, value: String?, rule: String, variable: String? = nil) {
        self.path = path
        self.value = value
        self.rule = rule
        self.variable = variable
    }

    public var description: String {
        "\(path)\(value.map { " = \"\($0)\"" } ?? "")\(variable.map { " (from the environment: \($0))" } ?? ""): \(rule)"
    }

    /// The problem with ``variable`` set when its key, or a key above it, was set by an environment variable.
    /// - Parameter variables: the variable that set each key path.
    func attributed(to variables: [String: String]) -> ConfigProblem {
        var problem = self
        var key = Substring(path)
        while !key.isEmpty {
            if let variable = variables[String(key)] {
                problem.variable = variable
                break
            }
            guard let end = key.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            key = key[..<end]
        }
        return problem
    }
}

/// A configuration the worker refuses, with every problem found.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// Where the configuration came from (a file path).
    public var source: String
    /// Every problem, in the order found.
    public var problems: [ConfigProblem]

    /// Creates an error.
    public init(source: String, problems: [ConfigProblem]) {
        self.source = source
        self.problems = problems
    }

    public var description: String {
        "configuration \(source) has \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

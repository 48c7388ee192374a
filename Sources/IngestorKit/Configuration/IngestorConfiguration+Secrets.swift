import Foundation
import IncidentAPI

extension IngestorConfiguration {
    /// Set (to any value) in the environment a configuration is loaded with by a command that never calls the target
    /// (`ingestor incidents`, `ingestor dlq`): a secret whose variable is not set or whose file cannot be read then
    /// stands in as a placeholder that is never sent anywhere, so reading Kafka does not need the target's token.
    public static let secretsNotNeeded = "\u{0}ingestor.secrets-not-needed"

    /// Reads `{env: NAME}` or `{file: PATH}`; a clear-text value in the YAML is refused.
    static func readSecret(_ section: ConfigSection, _ name: String, environment: [String: String]) -> Secret? {
        let placeholder =
            environment[secretsNotNeeded] != nil ? Secret("(not loaded: this command calls no target)") : nil
        if case .scalar = section.raw(name) {
            section.problem(
                name,
                nil,
                "must not be written in the file; use {env: VARIABLE} or {file: /path/to/secret}"
            )
            return nil
        }
        let secretSection = section.section(name)
        defer { secretSection.finish() }
        let variable = secretSection.string("env")
        let file = secretSection.string("file")
        switch (variable, file) {
        case (let variable?, nil):
            guard let value = environment[variable], !value.isEmpty else {
                if let placeholder { return placeholder }
                secretSection.problem("env", variable, "names an environment variable that is not set")
                return nil
            }
            return Secret(value)
        case (nil, let file?):
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                if let placeholder { return placeholder }
                secretSection.problem("file", file, "cannot be read")
                return nil
            }
            let value = contents.trimmed()
            guard !value.isEmpty else {
                secretSection.problem("file", file, "is empty")
                return nil
            }
            return Secret(value)
        case (.some, .some):
            section.problem(name, nil, "takes env or file, not both")
            return nil
        case (nil, nil):
            section.problem(name, nil, "is required: {env: VARIABLE} or {file: /path/to/secret}")
            return nil
        }
    }
}

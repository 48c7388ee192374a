import Foundation
import IncidentAPI

extension IngestorConfiguration {
    /// Reads `{env: NAME}` or `{file: PATH}`; a clear-text value in the YAML is refused.
    static func readSecret(_ section: ConfigSection, _ name: String, environment: [String: String]) -> Secret? {
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
                secretSection.problem("env", variable, "names an environment variable that is not set")
                return nil
            }
            return Secret(value)
        case (nil, let file?):
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
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

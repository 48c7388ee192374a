package import Normalizer

/// What several adapters read the same way: base URLs, credentials, deadlines and per-severity maps.
extension ConfigurationReader {
    /// `base_url`, without its trailing slash; `http://` is allowed for local fakes.
    package func baseURL(required: Bool, hint: String) -> String? {
        let url = required ? requiredString("base_url", hint: hint) : string("base_url")
        guard let url else { return nil }
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            problem("base_url", url, "must start with https:// (or http:// for a local fake)")
            return nil
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// `request_timeout`: the deadline of every request, 100ms–5m.
    package func requestTimeout(default fallback: Duration) -> Duration {
        duration("request_timeout", default: fallback, in: .milliseconds(100) ... .seconds(300))
    }

    /// A map keyed by severity (`critical: …`), each key checked.
    package func severityMap(_ name: String) -> [Severity: String] {
        var values: [Severity: String] = [:]
        for (word, value) in stringMap(name) {
            guard let severity = Severity(rawValue: word) else {
                problem(
                    "\(name).\(word)",
                    nil,
                    "is not a severity; use \(Severity.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                continue
            }
            values[severity] = value
        }
        return values
    }

    /// An optional whole number: `nil` when the key is absent.
    package func optionalInt(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard peekString(name) != nil else {
            _ = string(name)  // marks the key read, and refuses a value that is not a single one
            return nil
        }
        return int(name, default: range.lowerBound, in: range)
    }
}

import Normalizer

/// `target.servicenow.*`.
extension ServiceNowConfiguration: TargetSettings {
    package var targetName: String { "servicenow" }

    package static func read(_ reader: any ConfigurationReader) -> ServiceNowConfiguration? {
        let baseURL = reader.baseURL(required: true, hint: "your instance, e.g. https://acme.service-now.com")
        let authentication = reader.authentication(
            allowed: ["basic", "oauth2_password", "oauth2_client_credentials"],
            defaultTokenURL: baseURL.map { $0 + "/oauth_token.do" },
            defaultForm: "urlencoded",
            defaultPasswordForm: "urlencoded"
        )
        var configuration = ServiceNowConfiguration(baseURL: "", authentication: .none)
        configuration.urgency.merge(levels(reader, "urgency")) { $1 }
        configuration.impact.merge(levels(reader, "impact")) { $1 }
        configuration.callerID = reader.string("caller_id")
        configuration.assignmentGroup = reader.string("assignment_group")
        configuration.category = reader.string("category")
        configuration.correlationDisplay = reader.string("correlation_display") ?? configuration.correlationDisplay
        let journal = reader.choice(
            "journal_field",
            default: configuration.journalField.rawValue,
            from: JournalField.allCases.map(\.rawValue)
        )
        configuration.journalField = JournalField(rawValue: journal) ?? configuration.journalField
        configuration.closeCode = reader.string("close_code") ?? configuration.closeCode
        configuration.acknowledgedState = reader.optionalInt("acknowledged_state", in: 1...99)
        configuration.requestTimeout = reader.requestTimeout(default: configuration.requestTimeout)
        guard let baseURL, let authentication else { return nil }
        configuration.baseURL = baseURL
        configuration.authentication = authentication
        return configuration
    }

    /// A per-severity map of ServiceNow's 1 (High) to 3 (Low) levels.
    private static func levels(_ reader: any ConfigurationReader, _ name: String) -> [Severity: Int] {
        var levels: [Severity: Int] = [:]
        for (severity, value) in reader.severityMap(name) {
            guard let level = Int(value), (1...3).contains(level) else {
                reader.problem("\(name).\(severity.rawValue)", value, "must be 1 (High), 2 (Medium) or 3 (Low)")
                continue
            }
            levels[severity] = level
        }
        return levels
    }
}

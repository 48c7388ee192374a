import Normalizer

/// `target.symantec.*`.
extension SymantecConfiguration: TargetSettings {
    package var targetName: String { "symantec" }

    package static func read(_ reader: any ConfigurationReader) -> SymantecConfiguration? {
        let baseURL = reader.baseURL(required: true, hint: "the API root, e.g. https://sd.example.com/ServiceDeskApi")
        let username = reader.requiredString("username", hint: "the ServiceDesk user the worker logs in as")
        let password = reader.secret("password")
        let user = reader.requiredString(
            "affected_user_email",
            hint: "required by ServiceDesk on every incident; must be a user it knows"
        )
        let closeCode = reader.requiredString(
            "close_code",
            hint: "the closeCode a resolve sends; codes are instance-defined"
        )
        var configuration = SymantecConfiguration(
            baseURL: "",
            username: "",
            password: Secret(""),
            affectedUserEmail: "",
            closeCode: ""
        )
        configuration.incidentType = reader.string("incident_type")
        configuration.classification = reader.string("classification")
        let levels = reader.nested("levels")
        for severity in Severity.allCases {
            let entry = levels.nested(severity.rawValue)
            let fallback = configuration.levels[severity]!
            configuration.levels[severity] = Levels(
                priority: entry.string("priority") ?? fallback.priority,
                impact: entry.string("impact") ?? fallback.impact,
                urgency: entry.string("urgency") ?? fallback.urgency
            )
            entry.finish()
        }
        levels.finish()
        configuration.requestTimeout = reader.requestTimeout(default: configuration.requestTimeout)
        guard let baseURL, let username, let password, let user, let closeCode else { return nil }
        configuration.baseURL = baseURL
        configuration.username = username
        configuration.password = password
        configuration.affectedUserEmail = user
        configuration.closeCode = closeCode
        return configuration
    }
}

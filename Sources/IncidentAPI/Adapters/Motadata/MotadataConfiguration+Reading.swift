import Normalizer

/// `target.motadata.*`.
extension MotadataConfiguration: TargetSettings {
    package var targetName: String { "motadata" }

    package static func read(_ reader: any ConfigurationReader) -> MotadataConfiguration? {
        let baseURL = reader.baseURL(required: true, hint: "your ServiceOps server, e.g. https://sd.example.com")
        let apiSet = reader.peekString("api") != nil
        let api =
            API(rawValue: reader.choice("api", default: API.incident.rawValue, from: API.allCases.map(\.rawValue)))
            ?? .incident
        let authentication = reader.authentication(
            allowed: ["oauth2_password", "apikey"],
            defaultTokenURL: baseURL.map { $0 + "/api/oauth/token" }
        )
        let requester = reader.requiredString(
            "requester_email",
            hint: "a user the server knows; every incident is raised for it"
        )
        var configuration = MotadataConfiguration(baseURL: "", api: api, authentication: .none, requesterEmail: "")
        if let category = reader.string("category") { configuration.categoryName = category }
        configuration.tags = reader.stringList("tags") ?? configuration.tags
        configuration.source = reader.string("source") ?? configuration.source
        configuration.dedupKeyField = reader.string("dedup_key_field")
        configuration.labelFields = reader.stringMap("label_fields")
        configuration.acknowledgedStatus = reader.string("acknowledged_status") ?? configuration.acknowledgedStatus
        configuration.resolvedStatus = reader.string("resolved_status") ?? configuration.resolvedStatus
        configuration.openStatus = reader.string("open_status") ?? configuration.openStatus
        configuration.requestTimeout = reader.requestTimeout(default: configuration.requestTimeout)
        let levels = reader.nested("levels")
        for severity in Severity.allCases {
            let entry = levels.nested(severity.rawValue)
            let fallback = configuration.levels[severity]!
            configuration.levels[severity] = Levels(
                priority: entry.string("priority") ?? fallback.priority,
                urgency: entry.string("urgency") ?? fallback.urgency,
                impact: entry.string("impact") ?? fallback.impact
            )
            entry.finish()
        }
        levels.finish()
        if !apiSet, case .header(_, let value) = authentication, value.exposedValue.hasPrefix("Apikey ") {
            // Before the incident API became the default, `api` defaulted to `request`: an Apikey configuration
            // without `api` was written for the request API, and sending it elsewhere would fail every call.
            reader.problem(
                "api",
                nil,
                "is required with an Apikey key: the default is now incident (the /api/v1/incident API of "
                    + "Motadata's \"Update an Incident\" page), and Apikey keys belong to ServiceOps 8.x's request "
                    + "API; set api: request to keep using it"
            )
        }
        guard let baseURL, let authentication, let requester else { return nil }
        configuration.baseURL = baseURL
        configuration.authentication = authentication
        configuration.requesterEmail = requester
        return configuration
    }
}

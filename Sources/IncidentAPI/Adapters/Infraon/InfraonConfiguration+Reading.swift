import Normalizer

/// `target.infraon.*`.
extension InfraonConfiguration: TargetSettings {
    package var targetName: String { "infraon" }

    package static func read(_ reader: any ConfigurationReader) -> InfraonConfiguration? {
        let baseURL = reader.baseURL(required: true, hint: "your tenant's host, e.g. https://acme.infraon.app")
        let authentication = reader.authentication(
            allowed: ["header", "login"],
            defaultTokenURL: nil,
            defaultLoginURL: baseURL.map { $0 + "/ux/api-token-auth/" }
        )
        let requester = reader.requiredString("requester_email", hint: "required by Infraon on create")
        var configuration = InfraonConfiguration(baseURL: "", authentication: .none, requesterEmail: "")
        configuration.requesterName = reader.string("requester_name")
        configuration.resolvedStatus = reader.string("resolved_status") ?? configuration.resolvedStatus
        configuration.resolvedStatusID = reader.optionalInt("resolved_status_id", in: 1...10_000)
        configuration.acknowledgedStatus = reader.string("acknowledged_status") ?? configuration.acknowledgedStatus
        configuration.acknowledgedStatusID = reader.optionalInt("acknowledged_status_id", in: 1...10_000)
        configuration.lookupPages = reader.int("lookup_pages", default: configuration.lookupPages, in: 1...1000)
        if let text = reader.string("resolve_body") {
            do {
                let body = try JSONParser().parse(Array(text.utf8))
                for name in Set(RequestTemplate.unknownPlaceholders(in: body)).sorted() {
                    reader.problem("resolve_body", "{{\(name)}}", "is not a placeholder")
                }
                configuration.resolveBody = body
            } catch {
                reader.problem("resolve_body", nil, "must be a JSON document: \(error.message)")
            }
        }
        let levels = reader.nested("levels")
        for severity in Severity.allCases {
            let entry = levels.nested(severity.rawValue)
            var level = configuration.levels[severity]!
            for field in ["priority", "urgency", "impact"] {
                let option = entry.nested(field)
                if option.isPresent {
                    let id = option.int("id", default: 0, in: 0...10_000)
                    let name = option.requiredString("name", hint: "the option's name as Infraon lists it")
                    if id == 0 { option.problem("id", nil, "is required: the option's id") }
                    if let name, id > 0 {
                        switch field {
                        case "priority": level.priority = .init(id, name)
                        case "urgency": level.urgency = .init(id, name)
                        default: level.impact = .init(id, name)
                        }
                    }
                }
                option.finish()
            }
            configuration.levels[severity] = level
            entry.finish()
        }
        levels.finish()
        configuration.requestTimeout = reader.requestTimeout(default: configuration.requestTimeout)
        guard let baseURL, let authentication, let requester else { return nil }
        configuration.baseURL = baseURL
        configuration.authentication = authentication
        configuration.requesterEmail = requester
        return configuration
    }
}

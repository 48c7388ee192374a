import IncidentAPI
import Normalizer
import Pipeline

/// `target.*`: the incident API and its adapter's settings.
extension IngestorConfiguration {
    static let targetKinds = ["devrev", "motadata", "onetrust", "symantec", "infraon", "http"]

    static func readTarget(
        _ section: ConfigSection,
        environment: [String: String],
        limits: inout TargetGate.Limits
    ) -> Target? {
        let kind = section.choice("kind", default: "", from: targetKinds)
        // OneTrust documents 1,000 requests a minute per endpoint; the others document no limit, and a steady
        // 20 a second with bursts of 40 keeps a storm of new problems from hammering a self-hosted service desk.
        let (defaultRate, defaultBurst): (Double, Int) = kind == "onetrust" ? (15, 15) : (20, 40)
        let rateSection = section.section("rate_limit")
        let rate = rateSection.double("per_second", default: defaultRate, in: 0...100_000)
        let burst = rateSection.int("burst", default: defaultBurst, in: 1...100_000)
        rateSection.finish()
        limits = TargetGate.Limits(rate: rate > 0 ? rate : nil, burst: burst)
        if section.string("kind") == nil {
            section.problem("kind", nil, "is required: one of \(targetKinds.joined(separator: ", "))")
        }
        var target: Target?
        for name in targetKinds {
            let settings = section.section(name)
            if name == kind {
                switch name {
                case "devrev": target = readDevRev(settings, environment: environment).map(Target.devrev)
                case "motadata": target = readMotadata(settings, environment: environment).map(Target.motadata)
                case "onetrust": target = readOneTrust(settings, environment: environment).map(Target.onetrust)
                case "symantec": target = readSymantec(settings, environment: environment).map(Target.symantec)
                case "infraon": target = readInfraon(settings, environment: environment).map(Target.infraon)
                default: target = readGenericHTTP(settings, environment: environment).map(Target.http)
                }
                settings.finish()
            } else if settings.isPresent {
                section.problem(name, nil, "is set but target.kind is not \(name)")
            }
        }
        section.finish()
        return target
    }

    /// A base URL without its trailing slash; `http://` is allowed for local fakes.
    static func readBaseURL(_ section: ConfigSection, required: Bool, hint: String) -> String? {
        let url = required ? section.requiredString("base_url", hint: hint) : section.string("base_url")
        guard let url else { return nil }
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            section.problem("base_url", url, "must start with https:// (or http:// for a local fake)")
            return nil
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// `auth.*`: `type` and that type's keys. Secrets come from `{env: …}` or `{file: …}` only.
    /// - Parameter defaultTokenURL: where token endpoints are when `token_url` is not given.
    static func readAuthentication(
        _ section: ConfigSection,
        environment: [String: String],
        allowed: [String],
        defaultTokenURL: String?,
        defaultForm: String = "urlencoded",
        defaultLoginURL: String? = nil
    ) -> Authentication? {
        guard section.isPresent else {
            section.problem("type", nil, "is required: one of \(allowed.joined(separator: ", "))")
            return nil
        }
        let type = section.choice("type", default: "", from: allowed)
        if section.string("type") == nil {
            section.problem("type", nil, "is required: one of \(allowed.joined(separator: ", "))")
        }
        defer { section.finish() }
        func tokenURL() -> String? {
            let url = section.string("token_url") ?? defaultTokenURL
            if url == nil { section.problem("token_url", nil, "is required for \(type)") }
            return url
        }
        switch type {
        case "none":
            return Authentication.none
        case "bearer":
            guard let token = readSecret(section, "token", environment: environment) else { return nil }
            return .header(name: "Authorization", value: Secret("Bearer \(token.exposedValue)"))
        case "apikey":
            guard let key = readSecret(section, "key", environment: environment) else { return nil }
            return .header(name: "Authorization", value: Secret("Apikey \(key.exposedValue)"))
        case "header":
            let name = section.string("name") ?? "Authorization"
            let prefix = section.string("prefix") ?? ""
            guard let secret = readSecret(section, "secret", environment: environment) else { return nil }
            return .header(name: name, value: Secret(prefix + secret.exposedValue))
        case "oauth2_client_credentials":
            let url = tokenURL()
            let clientID = section.requiredString("client_id", hint: "the OAuth client id")
            let secret = readSecret(section, "client_secret", environment: environment)
            let scope = section.string("scope")
            let form = section.choice("form", default: defaultForm, from: ["urlencoded", "multipart"])
            guard let url, let clientID, let secret else { return nil }
            return .clientCredentials(
                .init(
                    tokenURL: url,
                    clientID: clientID,
                    clientSecret: secret,
                    scope: scope,
                    multipart: form == "multipart"
                )
            )
        case "oauth2_password":
            let url = tokenURL()
            let clientID = section.requiredString("client_id", hint: "the OAuth client id")
            let clientSecret = readSecret(section, "client_secret", environment: environment)
            let username = section.requiredString("username", hint: "the API user")
            let password = readSecret(section, "password", environment: environment)
            guard let url, let clientID, let clientSecret, let username, let password else { return nil }
            return .passwordGrant(
                .init(
                    tokenURL: url,
                    clientID: clientID,
                    clientSecret: clientSecret,
                    username: username,
                    password: password
                )
            )
        case "login":
            let url = section.string("login_url") ?? defaultLoginURL
            if url == nil { section.problem("login_url", nil, "is required for login") }
            let username = section.requiredString("username", hint: "the API user")
            let password = readSecret(section, "password", environment: environment)
            let field = section.string("token_field") ?? "token"
            let name = section.string("header") ?? "Authorization"
            let prefix = section.string("prefix") ?? ""
            guard let url, let username, let password else { return nil }
            return .login(
                .init(
                    loginURL: url,
                    username: username,
                    password: password,
                    tokenField: field,
                    headerName: name,
                    headerPrefix: prefix
                )
            )
        default:
            return nil
        }
    }

    static func readMotadata(_ section: ConfigSection, environment: [String: String]) -> MotadataConfiguration? {
        let baseURL = readBaseURL(section, required: true, hint: "your ServiceOps server, e.g. https://sd.example.com")
        let apiSet = section.peekString("api") != nil
        let api = section.choice("api", default: "incident", from: MotadataConfiguration.API.allCases.map(\.rawValue))
        let authentication = readAuthentication(
            section.section("auth"),
            environment: environment,
            allowed: ["apikey", "oauth2_password"],
            defaultTokenURL: baseURL.map { $0 + "/api/oauth/token" }
        )
        let requester = section.requiredString(
            "requester_email",
            hint: "a user the server knows; every incident is raised for it"
        )
        let category = section.string("category")
        let tags = section.stringList("tags")
        let source = section.string("source")
        let dedupField = section.string("dedup_key_field")
        let labelFields = section.stringMap("label_fields")
        let acknowledged = section.string("acknowledged_status")
        let resolved = section.string("resolved_status")
        let openStatus = section.string("open_status")
        let timeout = section.duration(
            "request_timeout",
            default: .seconds(10),
            in: .milliseconds(100) ... .seconds(300)
        )
        let levelsSection = section.section("levels")
        var levels: [Severity: MotadataConfiguration.Levels] = [:]
        let defaults = MotadataConfiguration.defaultLevels(MotadataConfiguration.API(rawValue: api) ?? .request)
        for severity in Severity.allCases {
            let entry = levelsSection.section(severity.rawValue)
            let fallback = defaults[severity]!
            levels[severity] = MotadataConfiguration.Levels(
                priority: entry.string("priority") ?? fallback.priority,
                urgency: entry.string("urgency") ?? fallback.urgency,
                impact: entry.string("impact") ?? fallback.impact
            )
            entry.finish()
        }
        levelsSection.finish()
        if !apiSet, case .header(_, let value) = authentication, value.exposedValue.hasPrefix("Apikey ") {
            // Before the incident API became the default, `api` defaulted to `request`: an Apikey configuration
            // without `api` was written for the request API, and sending it elsewhere would fail every call.
            section.problem(
                "api",
                nil,
                "is required with an Apikey key: the default is now incident (the /api/v1/incident API of "
                    + "Motadata's \"Update an Incident\" page), and Apikey keys belong to ServiceOps 8.x's request "
                    + "API; set api: request to keep using it"
            )
        }
        guard let baseURL, let authentication, let requester else { return nil }
        var configuration = MotadataConfiguration(
            baseURL: baseURL,
            api: MotadataConfiguration.API(rawValue: api) ?? .request,
            authentication: authentication,
            requesterEmail: requester
        )
        if let category { configuration.categoryName = category }
        if let tags { configuration.tags = tags }
        if let source { configuration.source = source }
        configuration.dedupKeyField = dedupField
        configuration.labelFields = labelFields
        if let acknowledged { configuration.acknowledgedStatus = acknowledged }
        if let resolved { configuration.resolvedStatus = resolved }
        if let openStatus { configuration.openStatus = openStatus }
        configuration.levels = levels
        configuration.requestTimeout = timeout
        return configuration
    }

    static func readOneTrust(_ section: ConfigSection, environment: [String: String]) -> OneTrustConfiguration? {
        let baseURL = readBaseURL(section, required: true, hint: "https://app.onetrust.com or your region's host")
        let authentication = readAuthentication(
            section.section("auth"),
            environment: environment,
            allowed: ["oauth2_client_credentials", "bearer"],
            defaultTokenURL: baseURL.map { $0 + "/api/access/v1/oauth/token" },
            defaultForm: "multipart"
        )
        let org = section.requiredString(
            "org_group_id",
            hint: "the organization's UUID (Get List of Organizations); OneTrust requires it on every write"
        )
        let resolved = section.requiredString(
            "resolved_stage",
            hint: "the workflow stage name that closes an incident; stage names are tenant-defined"
        )
        let type = section.string("incident_type")
        let attribute = section.string("severity_attribute")
        let labelAttributes = section.stringMap("label_attributes")
        let acknowledged = section.string("acknowledged_stage")
        var values: [Severity: String] = [:]
        for (word, value) in section.stringMap("severity_values") {
            guard let severity = Severity(rawValue: word) else {
                section.problem("severity_values.\(word)", nil, "is not a severity")
                continue
            }
            values[severity] = value
        }
        let timeout = section.duration(
            "request_timeout",
            default: .seconds(10),
            in: .milliseconds(100) ... .seconds(300)
        )
        guard let baseURL, let authentication, let org, let resolved else { return nil }
        var configuration = OneTrustConfiguration(
            baseURL: baseURL,
            authentication: authentication,
            orgGroupID: org,
            resolvedStage: resolved
        )
        if let type { configuration.incidentTypeName = type }
        configuration.severityAttribute = attribute
        configuration.labelAttributes = labelAttributes
        configuration.acknowledgedStage = acknowledged
        configuration.severityValues.merge(values) { $1 }
        configuration.requestTimeout = timeout
        return configuration
    }

    static func readSymantec(_ section: ConfigSection, environment: [String: String]) -> SymantecConfiguration? {
        let baseURL = readBaseURL(
            section,
            required: true,
            hint: "the API root, e.g. https://sd.example.com/ServiceDeskApi"
        )
        let username = section.requiredString("username", hint: "the ServiceDesk user the worker logs in as")
        let password = readSecret(section, "password", environment: environment)
        let user = section.requiredString(
            "affected_user_email",
            hint: "required by ServiceDesk on every incident; must be a user it knows"
        )
        let closeCode = section.requiredString(
            "close_code",
            hint: "the closeCode a resolve sends; codes are instance-defined"
        )
        let type = section.string("incident_type")
        let classification = section.string("classification")
        let levelsSection = section.section("levels")
        var levels: [Severity: SymantecConfiguration.Levels] = [:]
        for severity in Severity.allCases {
            let entry = levelsSection.section(severity.rawValue)
            if entry.isPresent {
                levels[severity] = SymantecConfiguration.Levels(
                    priority: entry.string("priority") ?? "",
                    impact: entry.string("impact") ?? "",
                    urgency: entry.string("urgency") ?? ""
                )
            }
            entry.finish()
        }
        levelsSection.finish()
        let timeout = section.duration(
            "request_timeout",
            default: .seconds(10),
            in: .milliseconds(100) ... .seconds(300)
        )
        guard let baseURL, let username, let password, let user, let closeCode else { return nil }
        var configuration = SymantecConfiguration(
            baseURL: baseURL,
            username: username,
            password: password,
            affectedUserEmail: user,
            closeCode: closeCode
        )
        configuration.incidentType = type
        configuration.classification = classification
        for (severity, level) in levels {
            let fallback = configuration.levels[severity]!
            configuration.levels[severity] = SymantecConfiguration.Levels(
                priority: level.priority.isEmpty ? fallback.priority : level.priority,
                impact: level.impact.isEmpty ? fallback.impact : level.impact,
                urgency: level.urgency.isEmpty ? fallback.urgency : level.urgency
            )
        }
        configuration.requestTimeout = timeout
        return configuration
    }

    static func readInfraon(_ section: ConfigSection, environment: [String: String]) -> InfraonConfiguration? {
        let baseURL = readBaseURL(section, required: true, hint: "your tenant's host, e.g. https://acme.infraon.app")
        let authentication = readAuthentication(
            section.section("auth"),
            environment: environment,
            allowed: ["header", "login"],
            defaultTokenURL: nil,
            defaultLoginURL: baseURL.map { $0 + "/ux/api-token-auth/" }
        )
        let requester = section.requiredString("requester_email", hint: "required by Infraon on create")
        let requesterName = section.string("requester_name")
        let resolved = section.string("resolved_status")
        let acknowledged = section.string("acknowledged_status")
        let resolvedID =
            section.string("resolved_status_id") == nil
            ? nil : section.int("resolved_status_id", default: 0, in: 1...10_000)
        let acknowledgedID =
            section.string("acknowledged_status_id") == nil
            ? nil : section.int("acknowledged_status_id", default: 0, in: 1...10_000)
        let lookupPages = section.int("lookup_pages", default: 20, in: 1...1000)
        var resolveBody: JSONValue?
        if let text = section.string("resolve_body") {
            do {
                resolveBody = try JSONParser().parse(Array(text.utf8))
                for name in Set(RequestTemplate.unknownPlaceholders(in: resolveBody!)).sorted() {
                    section.problem("resolve_body", "{{\(name)}}", "is not a placeholder")
                }
            } catch {
                section.problem("resolve_body", nil, "must be a JSON document: \(error.message)")
            }
        }
        let levelsSection = section.section("levels")
        var levels: [Severity: [String: InfraonConfiguration.Option]] = [:]
        for severity in Severity.allCases {
            let entry = levelsSection.section(severity.rawValue)
            for field in ["priority", "urgency", "impact"] {
                let option = entry.section(field)
                if option.isPresent {
                    let id = option.int("id", default: 0, in: 0...10_000)
                    let name = option.requiredString("name", hint: "the option's name as Infraon lists it")
                    if let name, id > 0 { levels[severity, default: [:]][field] = .init(id, name) }
                    if id == 0 { option.problem("id", nil, "is required: the option's id") }
                }
                option.finish()
            }
            entry.finish()
        }
        levelsSection.finish()
        let timeout = section.duration(
            "request_timeout",
            default: .seconds(10),
            in: .milliseconds(100) ... .seconds(300)
        )
        guard let baseURL, let authentication, let requester else { return nil }
        var configuration = InfraonConfiguration(
            baseURL: baseURL,
            authentication: authentication,
            requesterEmail: requester
        )
        configuration.requesterName = requesterName
        if let resolved { configuration.resolvedStatus = resolved }
        if let acknowledged { configuration.acknowledgedStatus = acknowledged }
        configuration.resolveBody = resolveBody
        configuration.resolvedStatusID = resolvedID
        configuration.acknowledgedStatusID = acknowledgedID
        configuration.lookupPages = lookupPages
        for (severity, fields) in levels {
            var level = configuration.levels[severity]!
            if let priority = fields["priority"] { level.priority = priority }
            if let urgency = fields["urgency"] { level.urgency = urgency }
            if let impact = fields["impact"] { level.impact = impact }
            configuration.levels[severity] = level
        }
        configuration.requestTimeout = timeout
        return configuration
    }

    static func readGenericHTTP(_ section: ConfigSection, environment: [String: String]) -> GenericHTTPConfiguration? {
        let name = section.string("name") ?? "http"
        let baseURL = readBaseURL(section, required: true, hint: "the API's base URL; operation paths are appended")
        let authentication = readAuthentication(
            section.section("auth"),
            environment: environment,
            allowed: ["none", "bearer", "header", "oauth2_client_credentials", "oauth2_password"],
            defaultTokenURL: nil
        )
        var operations: [IncidentCommand.Action: GenericHTTPConfiguration.Operation] = [:]
        for action in IncidentCommand.Action.allCases {
            let operationSection = section.section(action.rawValue)
            if operationSection.isPresent {
                operations[action] = readOperation(operationSection, needsID: action == .create)
            } else if action == .create {
                section.problem("create", nil, "is required: {method, path, body, id_pointer}")
            }
            operationSection.finish()
        }
        let lookupSection = section.section("lookup")
        let lookup = lookupSection.isPresent ? readOperation(lookupSection, needsID: true) : nil
        lookupSection.finish()
        var severityValues: [Severity: String] = [:]
        for (word, value) in section.stringMap("severity_values") {
            guard let severity = Severity(rawValue: word) else {
                section.problem("severity_values.\(word)", nil, "is not a severity")
                continue
            }
            severityValues[severity] = value
        }
        var statusValues: [AlertStatus: String] = [:]
        for (word, value) in section.stringMap("status_values") {
            guard let status = AlertStatus(rawValue: word) else {
                section.problem("status_values.\(word)", nil, "is not a status: firing, acknowledged or resolved")
                continue
            }
            statusValues[status] = value
        }
        let timeout = section.duration(
            "request_timeout",
            default: .seconds(10),
            in: .milliseconds(100) ... .seconds(300)
        )
        guard let baseURL, let authentication, operations[.create] != nil else { return nil }
        var configuration = GenericHTTPConfiguration(
            baseURL: baseURL,
            authentication: authentication,
            operations: operations
        )
        configuration.name = name
        configuration.lookup = lookup ?? nil
        configuration.severityValues.merge(severityValues) { $1 }
        configuration.statusValues.merge(statusValues) { $1 }
        configuration.requestTimeout = timeout
        return configuration
    }

    /// One operation: `method`, `path`, `headers`, `body` (a JSON document, usually a YAML block), `id_pointer`.
    static func readOperation(_ section: ConfigSection, needsID: Bool) -> GenericHTTPConfiguration.Operation? {
        let method = section.choice("method", default: "POST", from: ["get", "post", "put", "patch", "delete"])
        let path = section.requiredString("path", hint: "appended to base_url; may hold {{placeholders}}")
        let headers = section.stringMap("headers")
        var body: JSONValue?
        if let text = section.string("body") {
            do {
                body = try JSONParser().parse(Array(text.utf8))
            } catch {
                section.problem(
                    "body",
                    nil,
                    "must be a JSON document (placeholders go inside strings): \(error.message)"
                )
            }
        }
        var pointer: JSONPointer?
        if let text = section.string("id_pointer") {
            pointer = JSONPointer(text)
            if pointer == nil { section.problem("id_pointer", text, "must be a JSON pointer such as /data/id") }
        } else if needsID {
            section.problem("id_pointer", nil, "is required: where the incident id is in the answer, e.g. /id")
        }
        var unknown =
            (path.map(RequestTemplate.unknownPlaceholders(in:)) ?? [])
            + headers.values.flatMap(RequestTemplate.unknownPlaceholders(in:))
        if let body { unknown += RequestTemplate.unknownPlaceholders(in: body) }
        for name in Set(unknown).sorted() {
            section.problem(
                "{{\(name)}}",
                nil,
                "is not a placeholder; known: \(RequestTemplate.variables.joined(separator: ", "))"
            )
        }
        guard let path else { return nil }
        return GenericHTTPConfiguration.Operation(
            method: method,
            path: path,
            headers: headers.sorted { $0.key < $1.key }.map { HTTPHeader($0.key, $0.value) },
            body: body,
            idPointer: pointer
        )
    }
}

/// `auth.*`: the credentials of a target.
extension ConfigurationReader {
    /// Reads `auth.type` and that type's keys. Secrets come from `{env: …}` or `{file: …}` only.
    /// - Parameters:
    ///   - allowed: the types this target takes, first the one its document describes.
    ///   - defaultTokenURL: where token endpoints are when `token_url` is not given.
    ///   - defaultForm: how client-credentials token requests are encoded when `form` is not given.
    ///   - defaultPasswordForm: how password-grant token requests are encoded when `form` is not given: `multipart`
    ///     with HTTP Basic client authentication (Motadata), or `urlencoded` with the client in the form
    ///     (ServiceNow).
    ///   - defaultLoginURL: where the login is when `login_url` is not given.
    package func authentication(
        allowed: [String],
        defaultTokenURL: String?,
        defaultForm: String = "urlencoded",
        defaultPasswordForm: String = "multipart",
        defaultLoginURL: String? = nil
    ) -> Authentication? {
        let section = nested("auth")
        guard section.isPresent else {
            problem("auth", nil, "is required: {type: …} with type one of \(allowed.joined(separator: ", "))")
            return nil
        }
        let type = section.choice("type", default: "", from: allowed)
        if section.peekString("type") == nil {
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
            guard let token = section.secret("token") else { return nil }
            return .header(name: "Authorization", value: Secret("Bearer \(token.exposedValue)"))
        case "apikey":
            guard let key = section.secret("key") else { return nil }
            return .header(name: "Authorization", value: Secret("Apikey \(key.exposedValue)"))
        case "basic":
            let username = section.requiredString("username", hint: "the API user")
            let password = section.secret("password")
            guard let username, let password else { return nil }
            let credentials = Base64.encode(Array("\(username):\(password.exposedValue)".utf8))
            return .header(name: "Authorization", value: Secret("Basic \(credentials)"))
        case "header":
            let name = section.string("name") ?? "Authorization"
            let prefix = section.string("prefix") ?? ""
            guard let secret = section.secret("secret") else { return nil }
            return .header(name: name, value: Secret(prefix + secret.exposedValue))
        case "oauth2_client_credentials":
            let url = tokenURL()
            let clientID = section.requiredString("client_id", hint: "the OAuth client id")
            let secret = section.secret("client_secret")
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
            let clientSecret = section.secret("client_secret")
            let username = section.requiredString("username", hint: "the API user")
            let password = section.secret("password")
            let form = section.choice("form", default: defaultPasswordForm, from: ["urlencoded", "multipart"])
            guard let url, let clientID, let clientSecret, let username, let password else { return nil }
            return .passwordGrant(
                .init(
                    tokenURL: url,
                    clientID: clientID,
                    clientSecret: clientSecret,
                    username: username,
                    password: password,
                    form: form == "multipart" ? .multipartWithBasicClient : .urlEncodedWithClientInForm
                )
            )
        case "login":
            let url = section.string("login_url") ?? defaultLoginURL
            if url == nil { section.problem("login_url", nil, "is required for login") }
            let username = section.requiredString("username", hint: "the API user")
            let password = section.secret("password")
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
}

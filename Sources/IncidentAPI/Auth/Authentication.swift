/// How an adapter proves who it is: a static header, an OAuth2 grant, or a login that returns a session token.
public enum Authentication: Sendable, Hashable {
    /// No credentials (a generic target behind a trusted proxy).
    case none
    /// A static header, e.g. `Authorization: Apikey …` or `Authorization: Bearer …`. `value` is the whole field value.
    case header(name: String, value: Secret)
    /// OAuth2 client credentials (OneTrust): form fields `grant_type=client_credentials`, `client_id`,
    /// `client_secret` posted to `tokenURL`; the answer's `access_token` is sent as `Authorization: Bearer …`.
    case clientCredentials(ClientCredentials)
    /// OAuth2 resource-owner password grant (Motadata): HTTP Basic client authentication and form fields
    /// `username`, `password`, `grant_type=password`.
    case passwordGrant(PasswordGrant)
    /// A login call that returns a session token (Symantec ServiceDesk, Infraon): JSON `{"username","password"}`
    /// posted to `loginURL`; the token is read from the answer and sent as `headerName: prefix + token`.
    case login(Login)

    /// OAuth2 client-credentials settings.
    public struct ClientCredentials: Sendable, Hashable {
        /// The token endpoint.
        public var tokenURL: String
        /// The client id.
        public var clientID: String
        /// The client secret.
        public var clientSecret: Secret
        /// Scopes to ask for, space-separated; `nil` asks for none.
        public var scope: String?
        /// How the form is encoded: OneTrust documents `multipart/form-data`.
        public var multipart: Bool

        /// Creates the settings.
        public init(tokenURL: String, clientID: String, clientSecret: Secret, scope: String? = nil, multipart: Bool) {
            self.tokenURL = tokenURL
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.scope = scope
            self.multipart = multipart
        }
    }

    /// OAuth2 password-grant settings.
    public struct PasswordGrant: Sendable, Hashable {
        /// How the token request carries the client and the fields.
        public enum Form: String, Sendable, Hashable {
            /// `multipart/form-data`, the client as HTTP Basic credentials (Motadata).
            case multipartWithBasicClient
            /// `application/x-www-form-urlencoded`, `client_id` and `client_secret` among the fields (ServiceNow's
            /// `oauth_token.do`).
            case urlEncodedWithClientInForm
        }

        /// The token endpoint.
        public var tokenURL: String
        /// The OAuth client id, sent with the secret as HTTP Basic.
        public var clientID: String
        /// The OAuth client secret.
        public var clientSecret: Secret
        /// The user.
        public var username: String
        /// The user's password.
        public var password: Secret
        /// The token request's form; default ``Form/multipartWithBasicClient``.
        public var form: Form

        /// Creates the settings.
        public init(
            tokenURL: String,
            clientID: String,
            clientSecret: Secret,
            username: String,
            password: Secret,
            form: Form = .multipartWithBasicClient
        ) {
            self.tokenURL = tokenURL
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.username = username
            self.password = password
            self.form = form
        }
    }

    /// Session-token login settings.
    public struct Login: Sendable, Hashable {
        /// The login endpoint.
        public var loginURL: String
        /// The user.
        public var username: String
        /// The password.
        public var password: Secret
        /// Where the token is in the answer: `nil` for a bare JSON string (Symantec), else a top-level key
        /// (`token` for Infraon).
        public var tokenField: String?
        /// The header carrying the token.
        public var headerName: String
        /// Text before the token in the header value: `token ` for Symantec, empty for Infraon.
        public var headerPrefix: String

        /// Creates the settings.
        public init(
            loginURL: String,
            username: String,
            password: Secret,
            tokenField: String?,
            headerName: String = "Authorization",
            headerPrefix: String
        ) {
            self.loginURL = loginURL
            self.username = username
            self.password = password
            self.tokenField = tokenField
            self.headerName = headerName
            self.headerPrefix = headerPrefix
        }
    }

    /// Every secret the scheme holds, for the redactor.
    public var secrets: [Secret] {
        switch self {
        case .none: []
        case .header(_, let value): [value]
        case .clientCredentials(let settings): [settings.clientSecret]
        case .passwordGrant(let settings): [settings.clientSecret, settings.password]
        case .login(let settings): [settings.password]
        }
    }
}

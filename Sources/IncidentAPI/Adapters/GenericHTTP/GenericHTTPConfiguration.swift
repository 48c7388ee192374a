public import Normalizer

/// Settings for the generic HTTP target: any REST API, described by a request template per operation.
public struct GenericHTTPConfiguration: Sendable, Hashable {
    /// One operation: how to call the API for one kind of command.
    public struct Operation: Sendable, Hashable {
        /// The method, e.g. `POST`.
        public var method: String
        /// The path after the base URL (or an absolute URL), with `{{…}}` placeholders, percent-encoded on use.
        public var path: String
        /// Extra header fields; values may hold placeholders.
        public var headers: [HTTPHeader]
        /// The JSON body template; `nil` sends no body. A string that is exactly one placeholder becomes that
        /// value with its JSON type (labels stay an object); placeholders inside longer strings become text.
        public var body: JSONValue?
        /// Where the incident id is in the answer (RFC 6901), for creates and lookups.
        public var idPointer: JSONPointer?

        /// Creates an operation.
        public init(
            method: String,
            path: String,
            headers: [HTTPHeader] = [],
            body: JSONValue? = nil,
            idPointer: JSONPointer? = nil
        ) {
            self.method = method.uppercased()
            self.path = path
            self.headers = headers
            self.body = body
            self.idPointer = idPointer
        }
    }

    /// The target's name in metrics and dead letters; default `http`.
    public var name = "http"
    /// The API's base URL.
    public var baseURL: String
    /// The credentials.
    public var authentication: Authentication
    /// The operations; `create` is required. A command whose operation is not configured is dead-lettered as
    /// `target_unsupported`.
    public var operations: [IncidentCommand.Action: Operation]
    /// How to find the incident for a dedup key after a crash; optional.
    public var lookup: Operation?
    /// The text `{{severity}}` becomes, per severity; default the severity's own name.
    public var severityValues: [Severity: String] = Dictionary(
        uniqueKeysWithValues: Severity.allCases.map { ($0, $0.rawValue) }
    )
    /// The text `{{status}}` becomes, per status; default the status's own name.
    public var statusValues: [AlertStatus: String] = Dictionary(
        uniqueKeysWithValues: AlertStatus.allCases.map { ($0, $0.rawValue) }
    )
    /// Deadline per request; default 10 s.
    public var requestTimeout: Duration = .seconds(10)

    /// Creates a configuration.
    public init(baseURL: String, authentication: Authentication, operations: [IncidentCommand.Action: Operation]) {
        self.baseURL = baseURL
        self.authentication = authentication
        self.operations = operations
    }
}

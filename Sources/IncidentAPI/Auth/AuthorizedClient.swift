/// Sends adapter requests with credentials: adds the ``Authenticator``'s header and, when the API refuses a token it
/// issued (401, or 403 for Symantec's expired sessions), logs in again and resends once.
public struct AuthorizedClient: Sendable {
    /// The transport.
    public let client: any HTTPClient
    /// The credentials.
    public let authenticator: Authenticator
    /// Statuses that mean "log in again"; default 401.
    public let reauthenticateOn: Set<Int>
    private let classifier: HTTPStatusClassifier

    /// Creates a client.
    public init(
        client: any HTTPClient,
        authentication: Authentication,
        redactor: Redactor,
        reauthenticateOn: Set<Int> = [401],
        timeout: Duration = .seconds(10)
    ) {
        self.client = client
        authenticator = Authenticator(scheme: authentication, client: client, redactor: redactor, timeout: timeout)
        self.reauthenticateOn = reauthenticateOn
        classifier = HTTPStatusClassifier(redactor: redactor.adding(authentication.secrets))
    }

    /// Sends `request` with credentials.
    /// - Returns: the response whatever its status, or the outcome when no response came (login refused,
    ///   transport failure).
    public func send(_ request: HTTPRequest) async -> Result<HTTPResponse, TargetFailureOutcome> {
        var canRetry: Bool
        switch authenticator.scheme {
        case .none, .header: canRetry = false
        case .clientCredentials, .passwordGrant, .login: canRetry = true
        }
        while true {
            let header: HTTPHeader?
            switch await authenticator.header() {
            case .success(let value): header = value
            case .failure(let outcome): return .failure(outcome)
            }
            var authorized = request
            if let header {
                authorized.headers.removeAll { $0.name.lowercased() == header.name.lowercased() }
                authorized.headers.insert(header, at: 0)
            }
            let response: HTTPResponse
            do {
                response = try await client.execute(authorized)
            } catch let error as HTTPTransportError {
                return .failure(TargetFailureOutcome(classifier.classify(error)))
            } catch {
                return .failure(
                    TargetFailureOutcome(.retryable(TargetFailure(.transport, "\(error)"), retryAfter: nil))
                )
            }
            if canRetry && reauthenticateOn.contains(response.status) {
                await authenticator.invalidate()
                canRetry = false
                continue
            }
            return .success(response)
        }
    }
}

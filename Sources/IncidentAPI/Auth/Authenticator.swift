import Normalizer

/// Turns an ``Authentication`` into the header a request needs, fetching and caching tokens, and forgetting a
/// token the API refused so the next call logs in again.
public actor Authenticator {
    /// The scheme.
    public let scheme: Authentication
    private let client: any HTTPClient
    private let classifier: HTTPStatusClassifier
    private let timeout: Duration
    private let clock = ContinuousClock()
    private var cached: (header: HTTPHeader, expires: ContinuousClock.Instant?)?
    /// Token fetches so far, for tests and metrics.
    public private(set) var logins = 0

    /// Creates an authenticator.
    /// - Parameter timeout: the deadline for token requests.
    public init(scheme: Authentication, client: any HTTPClient, redactor: Redactor, timeout: Duration = .seconds(10)) {
        self.scheme = scheme
        self.client = client
        classifier = HTTPStatusClassifier(redactor: redactor.adding(scheme.secrets))
        self.timeout = timeout
    }

    /// The header to send, logging in first when there is no valid token.
    /// - Returns: `nil` for ``Authentication/none``, or the failure when the login did not succeed.
    public func header() async -> Result<HTTPHeader?, TargetFailureOutcome> {
        switch scheme {
        case .none: return .success(nil)
        case .header(let name, let value): return .success(HTTPHeader(name, value.exposedValue))
        default: break
        }
        if let cached, cached.expires.map({ clock.now < $0 }) ?? true { return .success(cached.header) }
        let request: HTTPRequest
        switch scheme {
        case .clientCredentials(let settings): request = Self.tokenRequest(settings, timeout: timeout)
        case .passwordGrant(let settings): request = Self.tokenRequest(settings, timeout: timeout)
        case .login(let settings): request = Self.loginRequest(settings, timeout: timeout)
        case .none, .header: return .success(nil)
        }
        logins += 1
        let response: HTTPResponse
        do {
            response = try await client.execute(request)
        } catch let error as HTTPTransportError {
            return .failure(TargetFailureOutcome(classifier.classify(error)))
        } catch {
            return .failure(TargetFailureOutcome(.retryable(TargetFailure(.transport, "\(error)"), retryAfter: nil)))
        }
        switch Self.readToken(response, scheme: scheme, classifier: classifier) {
        case .success(let (header, lifetime)):
            // Renew a little early so a request does not leave with a token about to lapse.
            let expires = lifetime.map { clock.now + max($0 - .seconds(30), $0 / 2) }
            cached = (header, expires)
            return .success(header)
        case .failure(let outcome):
            return .failure(outcome)
        }
    }

    /// Forgets the cached token (the API refused it); the next ``header()`` logs in again.
    public func invalidate() {
        cached = nil
    }

    // MARK: - Pure parts

    static func tokenRequest(_ settings: Authentication.ClientCredentials, timeout: Duration) -> HTTPRequest {
        var fields = [
            ("grant_type", "client_credentials"), ("client_id", settings.clientID),
            ("client_secret", settings.clientSecret.exposedValue),
        ]
        if let scope = settings.scope { fields.append(("scope", scope)) }
        let (contentType, body) = settings.multipart ? FormBody.multipart(fields) : FormBody.urlEncoded(fields)
        return HTTPRequest(
            method: "POST",
            url: settings.tokenURL,
            headers: [HTTPHeader("Content-Type", contentType), HTTPHeader("Accept", "application/json")],
            body: body,
            timeout: timeout
        )
    }

    static func tokenRequest(_ settings: Authentication.PasswordGrant, timeout: Duration) -> HTTPRequest {
        let user = [
            ("username", settings.username), ("password", settings.password.exposedValue), ("grant_type", "password"),
        ]
        switch settings.form {
        case .multipartWithBasicClient:
            let basic = Base64.encode(Array("\(settings.clientID):\(settings.clientSecret.exposedValue)".utf8))
            let (contentType, body) = FormBody.multipart(user)
            return HTTPRequest(
                method: "POST",
                url: settings.tokenURL,
                headers: [
                    HTTPHeader("Authorization", "Basic \(basic)"), HTTPHeader("Content-Type", contentType),
                    HTTPHeader("Accept", "application/json"),
                ],
                body: body,
                timeout: timeout
            )
        case .urlEncodedWithClientInForm:
            let (contentType, body) = FormBody.urlEncoded(
                [("grant_type", "password"), ("client_id", settings.clientID)]
                    + [("client_secret", settings.clientSecret.exposedValue)] + user.dropLast()
            )
            return HTTPRequest(
                method: "POST",
                url: settings.tokenURL,
                headers: [HTTPHeader("Content-Type", contentType), HTTPHeader("Accept", "application/json")],
                body: body,
                timeout: timeout
            )
        }
    }

    static func loginRequest(_ settings: Authentication.Login, timeout: Duration) -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            url: settings.loginURL,
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")],
            body: JSONWriter.bytes(
                .object(
                    JSONObject([
                        ("username", .string(settings.username)), ("password", .string(settings.password.exposedValue)),
                    ])
                )
            ),
            timeout: timeout
        )
    }

    /// Reads the token and its lifetime from a token or login answer.
    static func readToken(
        _ response: HTTPResponse,
        scheme: Authentication,
        classifier: HTTPStatusClassifier
    ) -> Result<(HTTPHeader, Duration?), TargetFailureOutcome> {
        guard (200..<300).contains(response.status) else {
            var outcome = classifier.classify(response)
            // A refused login is final: waiting does not make a wrong password right.
            if [400, 401, 403].contains(response.status), var failure = outcome.failure {
                failure.code = .unauthorized
                failure.message = "the login was refused"
                outcome = .authFailure(failure)
            }
            return .failure(TargetFailureOutcome(outcome))
        }
        let document = try? JSONParser().parse(response.body)
        func invalid(_ message: String) -> Result<(HTTPHeader, Duration?), TargetFailureOutcome> {
            .failure(
                TargetFailureOutcome(
                    .permanent(TargetFailure(.invalidResponse, message, httpStatus: response.status))
                )
            )
        }
        switch scheme {
        case .clientCredentials, .passwordGrant:
            guard let token = document?["access_token"]?.string, !token.isEmpty else {
                return invalid("the token endpoint answered without access_token")
            }
            let lifetime = document?["expires_in"]?.int64.map { Duration.seconds($0) }
            return .success((HTTPHeader("Authorization", "Bearer \(token)"), lifetime))
        case .login(let settings):
            let token: String?
            if let field = settings.tokenField {
                token = document?[field]?.string
            } else {
                token = document?.string
            }
            guard let token, !token.isEmpty else {
                return invalid("the login answered without a token\(settings.tokenField.map { " in `\($0)`" } ?? "")")
            }
            return .success((HTTPHeader(settings.headerName, settings.headerPrefix + token), nil))
        case .none, .header:
            return invalid("no token to read")
        }
    }
}

/// A ``TargetOutcome`` that is known not to be a success, usable as an `Error`.
public struct TargetFailureOutcome: Error, Sendable, Hashable {
    /// The outcome.
    public var outcome: TargetOutcome

    /// Wraps an outcome.
    public init(_ outcome: TargetOutcome) {
        self.outcome = outcome
    }
}

/// Form bodies for token endpoints.
enum FormBody {
    /// `application/x-www-form-urlencoded`.
    static func urlEncoded(_ fields: [(String, String)]) -> (String, [UInt8]) {
        let text = fields.map { "\(Percent.encode($0.0))=\(Percent.encode($0.1))" }.joined(separator: "&")
        return ("application/x-www-form-urlencoded", Array(text.utf8))
    }

    /// `multipart/form-data` with a boundary that occurs in no value.
    static func multipart(_ fields: [(String, String)]) -> (String, [UInt8]) {
        var boundary = "ingestor-form-" + String(FNV1a.hash(fields.map(\.0).joined(separator: "&")), radix: 16)
        while fields.contains(where: { $0.1.contains(boundary) }) { boundary += "x" }
        var text = ""
        for (name, value) in fields {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        text += "--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", Array(text.utf8))
    }
}

/// Percent-encoding outside RFC 3986's unreserved set.
public enum Percent {
    /// `text` with every byte outside `A-Z a-z 0-9 - . _ ~` as `%XX`.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

/// Standard base64 (RFC 4648 §4) for HTTP Basic credentials.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for (offset, byte) in chunk.enumerated() { value |= Int(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                if position <= chunk.count {
                    out.append(alphabet[(value >> (18 - 6 * position)) & 0x3F])
                } else {
                    out.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

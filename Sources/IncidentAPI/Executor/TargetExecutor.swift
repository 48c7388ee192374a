public import Logging

/// What every adapter shares to talk to its API: credentials (logging in, and once more when the API refuses a token
/// it issued), a debug line per call, and turning "no answer" into an outcome. An adapter's own code is its request
/// builder, its response classifier, and the order of its calls.
public struct TargetExecutor: Sendable {
    /// The adapter's name, in log lines.
    public let adapter: String
    /// Removes the adapter's credentials from anything that may be logged or dead-lettered.
    public let redactor: Redactor
    private let client: AuthorizedClient
    private let logger: Logger

    /// Creates an executor.
    /// - Parameters:
    ///   - adapter: the adapter's name; also the logger's `incident.adapter` metadata.
    ///   - authentication: the credentials every request carries.
    ///   - client: the transport.
    ///   - reauthenticateOn: statuses that mean "log in again" for token schemes; default 401.
    ///   - timeout: the deadline of login and token requests.
    ///   - logger: where the per-call debug lines go.
    public init(
        adapter: String,
        authentication: Authentication,
        client: any HTTPClient,
        reauthenticateOn: Set<Int> = [401],
        timeout: Duration,
        logger: Logger
    ) {
        self.adapter = adapter
        redactor = Redactor(secrets: authentication.secrets)
        self.client = AuthorizedClient(
            client: client,
            authentication: authentication,
            redactor: redactor,
            reauthenticateOn: reauthenticateOn,
            timeout: timeout
        )
        var logger = logger
        logger[metadataKey: "incident.adapter"] = "\(adapter)"
        self.logger = logger
    }

    /// Sends one request with credentials.
    /// - Returns: the response, whatever its status.
    /// - Throws: the outcome when no response came (the login was refused, the transport failed).
    public func send(_ request: HTTPRequest) async throws(TargetFailureOutcome) -> HTTPResponse {
        switch await client.send(request) {
        case .failure(let failure):
            logger.debug("\(adapter) \(request.method) \(request.url) → no answer: \(failure.outcome)")
            throw failure
        case .success(let response):
            logger.debug("\(adapter) \(request.method) \(request.url) → \(response.status)")
            return response
        }
    }

    /// Logs `message` at debug level, with the adapter's metadata: for a step an adapter takes that its answers
    /// decided (a fallback endpoint), never for payloads.
    public func debug(_ message: @autoclosure () -> String) {
        logger.debug("\(message())")
    }

    /// Runs one command's calls: a thrown outcome ends the command with it.
    public func run(
        _ steps: () async throws(TargetFailureOutcome) -> TargetOutcome
    ) async -> TargetOutcome {
        do {
            return try await steps()
        } catch {
            return error.outcome
        }
    }

    /// Runs a lookup's calls: a thrown outcome makes the lookup ``LookupOutcome/failed(_:)``.
    public func lookup(
        _ steps: () async throws(TargetFailureOutcome) -> LookupOutcome
    ) async -> LookupOutcome {
        do {
            return try await steps()
        } catch {
            return .failed(error.outcome)
        }
    }
}

extension TargetFailureOutcome {
    /// A final refusal: `code` with `message`.
    public static func permanent(
        _ code: TargetFailure.Code,
        _ message: String,
        httpStatus: Int? = nil
    ) -> TargetFailureOutcome {
        TargetFailureOutcome(.permanent(TargetFailure(code, message, httpStatus: httpStatus)))
    }
}

extension TargetFailureOutcome {
    /// Runs a pure step (a request builder) whose refusal is final: the command cannot be expressed for the API.
    public static func refusing<Value>(
        _ step: () throws(TargetFailure) -> Value
    ) throws(TargetFailureOutcome) -> Value {
        do {
            return try step()
        } catch {
            throw TargetFailureOutcome(.permanent(error))
        }
    }
}

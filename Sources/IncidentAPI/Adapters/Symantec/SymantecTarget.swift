public import Logging
public import Normalizer

/// Symantec ServiceDesk 8.5 (`target.kind: symantec`).
///
/// Logs in for a session token and sends it as `Authorization: token <GUID>`; a 403 may mean the session expired,
/// so it logs in again once before treating the 403 as final. Updates read the incident and write it back with
/// what ingestor owns changed, so what people set is kept. There are no comments and no search: a reply is
/// appended below the description's marker line (GET, then PUT), where updates never write, and the dedup state is
/// only ingestor's own.
public struct SymantecTarget: IncidentTarget {
    private let builder: SymantecRequestBuilder
    private let executor: TargetExecutor
    private let classifier: SymantecResponseClassifier

    /// Creates the target.
    public init(configuration: SymantecConfiguration, client: any HTTPClient, logger: Logger) {
        builder = SymantecRequestBuilder(configuration: configuration)
        executor = TargetExecutor(
            adapter: "symantec",
            authentication: configuration.authentication,
            client: client,
            reauthenticateOn: [401, 403],
            timeout: configuration.requestTimeout,
            logger: logger
        )
        classifier = SymantecResponseClassifier(redactor: executor.redactor)
    }

    public var name: String { "symantec" }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            let event = command.event
            if command.action == .create {
                let response = try await executor.send(builder.create(command))
                return .success(externalID: try classifier.createdID(response), httpStatus: response.status)
            }
            let id = try command.incidentID()
            switch command.action {
            case .create, .reopen:
                // No documented way back from resolved; the correlator opens a new incident instead (supportsReopen).
                throw .permanent(.unsupported, "\(name) cannot reopen an incident")
            case .update:
                let current = try classifier.incident(try await executor.send(builder.get(id)))
                return try await call(builder.put(id, builder.updated(current, with: command)), id: id)
            case .comment:
                let current = try classifier.incident(try await executor.send(builder.get(id)))
                return try await call(builder.put(id, builder.replying(current, IncidentText.reply(event))), id: id)
            case .resolve:
                return try await call(builder.resolve(id, event), id: id)
            }
        }
    }

    /// Sends `request`; a success is the incident `id`'s.
    private func call(_ request: HTTPRequest, id: String) async throws(TargetFailureOutcome) -> TargetOutcome {
        let response = try await executor.send(request)
        _ = try classifier.accept(response)
        return .success(externalID: id, httpStatus: response.status)
    }
}

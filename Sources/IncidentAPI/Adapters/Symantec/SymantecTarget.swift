public import Logging
public import Normalizer

/// Symantec ServiceDesk 8.5 (`target.kind: symantec`).
///
/// Logs in for a session token and sends it as `Authorization: token <GUID>`; a 403 may mean the session expired,
/// so it logs in again once before treating the 403 as final. There are no comments and no search: a reply is
/// appended to the description (GET, then PUT), and the dedup state is only ingestor's own.
public struct SymantecTarget: IncidentTarget {
    private let builder: SymantecRequestBuilder
    private let executor: TargetExecutor
    private let classifier: VendorResponseClassifier

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
        classifier = VendorResponseClassifier(
            vendor: "ServiceDesk",
            messageKeys: ["Message"],
            redactor: executor.redactor
        )
    }

    public var name: String { "symantec" }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            let event = command.event
            if command.action == .create {
                let response = try await executor.send(builder.create(event))
                guard let id = SymantecRequestBuilder.sessionID(in: try classifier.accept(response)) else {
                    throw .permanent(
                        .invalidResponse,
                        "ServiceDesk answered \(response.status) without a sessionId",
                        httpStatus: response.status
                    )
                }
                return .success(externalID: id, httpStatus: response.status)
            }
            let id = try command.incidentID()
            switch command.action {
            case .create, .reopen:
                // No documented way back from resolved; the correlator opens a new incident instead (supportsReopen).
                throw .permanent(.unsupported, "\(name) cannot reopen an incident")
            case .update:
                return try await call(builder.put(id, builder.incident(event)), id: id)
            case .comment:
                let current = try classifier.accept(try await executor.send(builder.get(id)))
                let existing = current?["incidentDescription"]?.string ?? ""
                let reply = IncidentText.reply(event)
                var body = builder.incident(event, description: existing.isEmpty ? reply : existing + "\n\n" + reply)
                // A reply changes the text only: keep the incident's own title and levels.
                for key in ["incidentName", "priority", "impact", "urgency"] {
                    if let value = current?[key], value != .null { body[key] = value }
                }
                return try await call(builder.put(id, body), id: id)
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

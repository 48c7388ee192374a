public import Logging
public import Normalizer

/// Infraon Infinity (`target.kind: infraon`).
public struct InfraonTarget: IncidentTarget {
    private let builder: InfraonRequestBuilder
    private let executor: TargetExecutor
    private let classifier: VendorResponseClassifier

    /// Creates the target.
    public init(configuration: InfraonConfiguration, client: any HTTPClient, logger: Logger) {
        builder = InfraonRequestBuilder(configuration: configuration)
        executor = TargetExecutor(
            adapter: "infraon",
            authentication: configuration.authentication,
            client: client,
            timeout: configuration.requestTimeout,
            logger: logger
        )
        classifier = VendorResponseClassifier(
            vendor: "Infraon",
            messageKeys: ["error", "msg", "message", "detail"],
            statusErrorOnSuccess: true,
            redactor: executor.redactor
        )
    }

    public var name: String { "infraon" }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            let event = command.event
            if command.action == .create {
                let response = try await executor.send(builder.create(command))
                guard let id = InfraonRequestBuilder.incidentID(in: try classifier.accept(response)) else {
                    throw .permanent(
                        .invalidResponse,
                        "Infraon answered \(response.status) without the incident id",
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
            case .comment:
                return try await call(builder.note(id, text: IncidentText.comment(event)), id: id)
            case .resolve where builder.configuration.resolveBody != nil:
                _ = try await call(builder.inciResolve(command, template: builder.configuration.resolveBody!), id: id)
                return try await call(builder.note(id, text: IncidentText.resolutionNote(event)), id: id)
            case .update, .resolve:
                let answer = try classifier.accept(try await executor.send(builder.get(id))) ?? .null
                let status: String? =
                    command.action == .resolve
                    ? builder.configuration.resolvedStatus
                    : (event.status == .acknowledged ? builder.configuration.acknowledgedStatus : nil)
                let document: JSONObject
                switch builder.merged(answer, event: command.action == .update ? event : nil, status: status) {
                case .success(let merged): document = merged
                case .failure(let failure): throw TargetFailureOutcome(.permanent(failure))
                }
                let written = try await call(builder.put(id, document), id: id)
                guard command.action == .resolve else { return written }
                return try await call(builder.note(id, text: IncidentText.resolutionNote(event)), id: id)
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

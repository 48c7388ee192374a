public import Logging
public import Normalizer

/// OneTrust Incident Management (`target.kind: onetrust`).
public struct OneTrustTarget: IncidentTarget {
    private let builder: OneTrustRequestBuilder
    private let executor: TargetExecutor
    private let classifier: OneTrustResponseClassifier

    /// Creates the target.
    public init(configuration: OneTrustConfiguration, client: any HTTPClient, logger: Logger) {
        builder = OneTrustRequestBuilder(configuration: configuration)
        executor = TargetExecutor(
            adapter: "onetrust",
            authentication: configuration.authentication,
            client: client,
            timeout: configuration.requestTimeout,
            logger: logger
        )
        classifier = OneTrustResponseClassifier(redactor: executor.redactor)
    }

    public var name: String { "onetrust" }

    /// Found through full-text search for the description's marker line (OneTrust documents that the search covers
    /// descriptions, not how it matches; only an incident carrying the exact marker line is taken).
    public var supportsLookup: Bool { true }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            let configuration = builder.configuration
            if command.action == .create {
                let response = try await executor.send(builder.create(command))
                return .success(externalID: try classifier.createdID(response), httpStatus: response.status)
            }
            let id = try command.incidentID()
            let event = command.event
            switch command.action {
            case .create, .reopen:
                // No documented way back from resolved; the correlator opens a new incident instead (supportsReopen).
                throw .permanent(.unsupported, "\(name) cannot reopen an incident")
            case .update, .comment:
                // Full replacement: read the incident, change it, write all of it back.
                let read = try await executor.send(builder.get(id))
                guard let details = try classifier.accept(read)?.object else {
                    throw .permanent(.invalidResponse, "OneTrust returned no incident", httpStatus: read.status)
                }
                let body =
                    command.action == .update
                    ? builder.replacement(from: details, event: event, dedupKey: command.dedupKey)
                    : builder.replacement(
                        from: details,
                        event: nil,
                        dedupKey: command.dedupKey,
                        appending: IncidentText.reply(event)
                    )
                let written = try await call(builder.put(id, body), id: id)
                if command.action == .update, event.status == .acknowledged, let stage = configuration.acknowledgedStage
                {
                    return try await call(builder.stage(id, to: stage), id: id)
                }
                return written
            case .resolve:
                return try await call(builder.stage(id, to: configuration.resolvedStage), id: id)
            }
        }
    }

    public func lookup(dedupKey: String) async -> LookupOutcome {
        await executor.lookup { () async throws(TargetFailureOutcome) -> LookupOutcome in
            let answer = try classifier.accept(try await executor.send(builder.search(dedupKey)))
            return OneTrustResponseClassifier.found(in: answer, dedupKey: dedupKey).map {
                .found(externalID: $0.id, status: $0.status)
            } ?? .notFound
        }
    }

    /// Sends `request`; a success is the incident `id`'s.
    private func call(_ request: HTTPRequest, id: String) async throws(TargetFailureOutcome) -> TargetOutcome {
        let response = try await executor.send(request)
        _ = try classifier.accept(response)
        return .success(externalID: id, httpStatus: response.status)
    }
}

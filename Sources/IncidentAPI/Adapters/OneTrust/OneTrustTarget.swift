public import Logging
public import Normalizer

/// OneTrust Incident Management (`target.kind: onetrust`).
public struct OneTrustTarget: IncidentTarget {
    private let builder: OneTrustRequestBuilder
    private let executor: TargetExecutor
    private let classifier: VendorResponseClassifier

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
        classifier = VendorResponseClassifier(
            vendor: "OneTrust",
            messageKeys: ["message", "error"],
            redactor: executor.redactor
        )
    }

    public var name: String { "onetrust" }

    /// Found through full-text search on the description marker (INFERRED to work: CONTRACTS.md §3.3).
    public var supportsLookup: Bool { true }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            let configuration = builder.configuration
            if command.action == .create {
                let response = try await executor.send(builder.create(command))
                // 201 with a bare JSON string: the new incident's UUID.
                guard let id = try classifier.accept(response)?.string, !id.isEmpty else {
                    throw .permanent(
                        .invalidResponse,
                        "OneTrust answered \(response.status) without the incident id",
                        httpStatus: response.status
                    )
                }
                return .success(externalID: id, httpStatus: response.status)
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
            let document = try classifier.accept(try await executor.send(builder.search(dedupKey)))
            // Full-text search may match loosely: take only an incident whose description holds the exact marker.
            let marker = OneTrustRequestBuilder.marker(dedupKey)
            let found = document?.array?.first { $0["description"]?.string?.hasSuffix(marker) == true }
            return found?["incidentId"]?.string.map { .found(externalID: $0) } ?? .notFound
        }
    }

    /// Sends `request`; a success is the incident `id`'s.
    private func call(_ request: HTTPRequest, id: String) async throws(TargetFailureOutcome) -> TargetOutcome {
        let response = try await executor.send(request)
        _ = try classifier.accept(response)
        return .success(externalID: id, httpStatus: response.status)
    }
}

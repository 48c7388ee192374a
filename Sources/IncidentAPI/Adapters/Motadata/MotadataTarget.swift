public import Logging
public import Normalizer

/// Motadata ServiceOps (`target.kind: motadata`): the incident API of Motadata's "Update an Incident" page by
/// default, or ServiceOps 8.x's request API with `api: request`.
public struct MotadataTarget: IncidentTarget {
    private let builder: MotadataRequestBuilder
    private let classifier: MotadataResponseClassifier
    private let executor: TargetExecutor

    /// Creates the target.
    public init(configuration: MotadataConfiguration, client: any HTTPClient, logger: Logger) {
        builder = MotadataRequestBuilder(configuration: configuration)
        executor = TargetExecutor(
            adapter: "motadata",
            authentication: configuration.authentication,
            client: client,
            timeout: configuration.requestTimeout,
            logger: logger
        )
        classifier = MotadataResponseClassifier(api: configuration.api, redactor: executor.redactor)
    }

    public var name: String { "motadata" }

    /// Reopening sets `open_status` (default `Open`) with the event's fields.
    public var supportsReopen: Bool { true }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            if builder.readsFirst(command) {
                let id = try command.incidentID()
                let current = try classifier.incident(try await executor.send(builder.legacyGet(id)))
                let write =
                    command.action == .comment
                    ? builder.legacyReply(id, current: current, paragraph: IncidentText.reply(command.event))
                    : builder.legacyUpdate(id, current: current, command: command)
                let outcome = classifier.classify(try await executor.send(write), isCreate: false)
                guard case .success(_, let status) = outcome else { return outcome }
                return .success(externalID: id, httpStatus: status)
            }
            let requests = try TargetFailureOutcome.refusing { () throws(TargetFailure) in
                try builder.requests(for: command)
            }
            var first: TargetOutcome?
            for (index, request) in requests.enumerated() {
                let outcome = classifier.classify(
                    try await executor.send(request),
                    isCreate: command.action == .create && index == 0
                )
                guard case .success = outcome else { return outcome }
                if first == nil { first = outcome }
            }
            guard case .success(let id, let status) = first else {
                throw .permanent(.unsupported, "no request for \(command.action.rawValue)")
            }
            return .success(externalID: id ?? command.externalID, httpStatus: status)
        }
    }
}

public import Logging
public import Normalizer

/// ServiceNow incidents through the Table API (`target.kind: servicenow`): one call per command.
///
/// - create: `POST /api/now/table/incident` with `correlation_id` carrying the dedup key, so a create whose answer
///   was lost is found again by a query on it.
/// - update: a `PATCH` of the short description, description, urgency and impact (the state too, for an
///   acknowledged alert when `acknowledged_state` is set).
/// - resolve: a `PATCH` to state 6 (Resolved) with `close_code` and `close_notes`.
/// - comment: a `PATCH` of `work_notes` (or `comments`), which the instance appends to the journal.
public struct ServiceNowTarget: IncidentTarget {
    private let builder: ServiceNowRequestBuilder
    private let executor: TargetExecutor
    private let classifier: ServiceNowResponseClassifier

    /// Creates the target.
    public init(configuration: ServiceNowConfiguration, client: any HTTPClient, logger: Logger) {
        builder = ServiceNowRequestBuilder(configuration: configuration)
        executor = TargetExecutor(
            adapter: "servicenow",
            authentication: configuration.authentication,
            client: client,
            timeout: configuration.requestTimeout,
            logger: logger
        )
        classifier = ServiceNowResponseClassifier(redactor: executor.redactor)
    }

    public var name: String { "servicenow" }

    /// The dedup key is in `correlation_id`, which `sysparm_query` can filter on.
    public var supportsLookup: Bool { true }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            if command.action == .create {
                let response = try await executor.send(builder.create(command))
                return .success(externalID: try classifier.createdID(response), httpStatus: response.status)
            }
            let id = try command.incidentID()
            let request: HTTPRequest
            switch command.action {
            case .create, .reopen:
                // Reopening is left to the correlator, which opens a new incident (supportsReopen is false).
                throw .permanent(.unsupported, "\(name) does not reopen incidents")
            case .update: request = builder.update(id, command.event)
            case .resolve: request = builder.resolve(id, command.event)
            case .comment: request = builder.comment(id, command.event)
            }
            let response = try await executor.send(request)
            _ = try classifier.accept(response)
            return .success(externalID: id, httpStatus: response.status)
        }
    }

    public func lookup(dedupKey: String) async -> LookupOutcome {
        await executor.lookup { () async throws(TargetFailureOutcome) -> LookupOutcome in
            classifier.classifyLookup(try await executor.send(builder.lookup(dedupKey)))
        }
    }
}

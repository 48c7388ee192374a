public import Logging
public import Normalizer

/// PagerDuty through the Events API v2 (`target.kind: pagerduty`): one event per command, the dedup key as the
/// alert's identity and as the incident id ingestor keeps.
///
/// Replies are refused as `target_unsupported` (and dead-lettered, so they are not lost unseen): the Events API has
/// no notes, and a trigger carrying the reply would pass it off as the alert's news.
public struct PagerDutyTarget: IncidentTarget {
    private let builder: PagerDutyRequestBuilder
    private let executor: TargetExecutor
    private let classifier: PagerDutyResponseClassifier

    /// Creates the target.
    public init(configuration: PagerDutyConfiguration, client: any HTTPClient, logger: Logger) {
        builder = PagerDutyRequestBuilder(configuration: configuration)
        executor = TargetExecutor(
            adapter: "pagerduty",
            authentication: .none,
            client: client,
            timeout: configuration.requestTimeout,
            logger: logger
        )
        classifier = PagerDutyResponseClassifier(redactor: executor.redactor.adding([configuration.routingKey]))
    }

    public var name: String { "pagerduty" }

    /// No call is needed: a create is a trigger with the dedup key, which PagerDuty folds into the open alert that
    /// key names, so sending a create whose answer was lost again cannot open a second alert. The lookup says "not
    /// found", which makes the worker send it again.
    public var supportsLookup: Bool { true }

    /// The lookup asks nothing, so the safety net for lost state has nothing to learn from it: a key with no state
    /// is triggered (which PagerDuty folds into the key's open alert) and a resolve with no state is ignored.
    public var lookupFindsIncidents: Bool { false }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            let request = try TargetFailureOutcome.refusing { () throws(TargetFailure) in
                try builder.request(for: command)
            }
            let response = try await executor.send(request)
            return classifier.classify(response, dedupKey: PagerDutyRequestBuilder.dedupKey(command.dedupKey))
        }
    }

    public func lookup(dedupKey: String) async -> LookupOutcome { .notFound }
}

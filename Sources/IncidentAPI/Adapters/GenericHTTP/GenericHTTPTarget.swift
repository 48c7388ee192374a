public import Logging
public import Normalizer

/// Any REST API, driven by request templates (`target.kind: http`).
public struct GenericHTTPTarget: IncidentTarget {
    private let builder: GenericHTTPRequestBuilder
    private let executor: TargetExecutor
    private let classifier: HTTPStatusClassifier

    /// Creates the target.
    public init(configuration: GenericHTTPConfiguration, client: any HTTPClient, logger: Logger) {
        builder = GenericHTTPRequestBuilder(configuration: configuration)
        executor = TargetExecutor(
            adapter: configuration.name,
            authentication: configuration.authentication,
            client: client,
            timeout: configuration.requestTimeout,
            logger: logger
        )
        classifier = HTTPStatusClassifier(redactor: executor.redactor)
    }

    public var name: String { builder.configuration.name }

    public var supportsLookup: Bool { builder.configuration.lookup != nil }

    public var supportsReopen: Bool { builder.configuration.operations[.reopen] != nil }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            let request = try TargetFailureOutcome.refusing { () throws(TargetFailure) in
                try builder.request(for: command)
            }
            let response = try await executor.send(request)
            let pointer = builder.configuration.operations[command.action]?.idPointer
            return GenericHTTPResponseClassifier.classify(
                response,
                action: command.action,
                pointer: pointer,
                classifier: classifier
            )
        }
    }

    public func lookup(dedupKey: String) async -> LookupOutcome {
        guard let request = builder.lookupRequest(dedupKey: dedupKey) else { return .unsupported }
        return await executor.lookup { () async throws(TargetFailureOutcome) -> LookupOutcome in
            let response = try await executor.send(request)
            if response.status == 404 { return .notFound }
            guard (200..<300).contains(response.status) else { return .failed(classifier.classify(response)) }
            let document = try? JSONParser().parse(response.body)
            guard let pointer = builder.configuration.lookup?.idPointer, let document,
                let id = pointer.resolve(in: document)?.scalarText, !id.isEmpty
            else { return .notFound }
            // The answer's shape is the user's: nothing says whether the incident is open. The lookup request
            // should ask for open incidents only (the README says so); see `LookupOutcome.Status.unknown`.
            return .found(externalID: id, status: .unknown)
        }
    }
}

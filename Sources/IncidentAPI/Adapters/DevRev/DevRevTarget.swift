public import Logging
public import Normalizer

/// The DevRev incident target: builds, sends, classifies.
public struct DevRevTarget: IncidentTarget {
    private let builder: DevRevRequestBuilder
    private let classifier: DevRevResponseClassifier
    private let client: any HTTPClient
    private let logger: Logger

    /// Creates the target.
    public init(configuration: DevRevConfiguration, client: any HTTPClient, logger: Logger) {
        builder = DevRevRequestBuilder(configuration: configuration)
        classifier = DevRevResponseClassifier(redactor: Redactor(secrets: [configuration.token]))
        self.client = client
        var logger = logger
        logger[metadataKey: "incident.adapter"] = "devrev"
        self.logger = logger
    }

    public var name: String { "devrev" }

    /// DevRev stores the dedup key in `sync_metadata.external_reference` and can filter on it.
    public var supportsLookup: Bool { true }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        let request: HTTPRequest
        do {
            request = try builder.request(for: command)
        } catch {
            return .permanent(error)
        }
        do {
            let response = try await client.execute(request)
            let outcome = classifier.classify(response, for: command.action)
            logger.debug(
                "devrev \(command.action.rawValue) → \(response.status)",
                metadata: ["incident.dedup_key": "\(command.dedupKey)"]
            )
            return outcome
        } catch let error as HTTPTransportError {
            return classifier.classify(error)
        } catch {
            return .retryable(TargetFailure(.transport, "\(error)"), retryAfter: nil)
        }
    }

    public func lookup(dedupKey: String) async -> LookupOutcome {
        do {
            return classifier.classifyLookup(try await client.execute(builder.lookupRequest(dedupKey: dedupKey)))
        } catch let error as HTTPTransportError {
            return .failed(classifier.classify(error))
        } catch {
            return .failed(.retryable(TargetFailure(.transport, "\(error)"), retryAfter: nil))
        }
    }
}

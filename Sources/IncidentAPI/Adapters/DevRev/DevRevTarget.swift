public import Logging
public import Normalizer

/// The DevRev incident target: builds, sends, classifies.
public struct DevRevTarget: IncidentTarget {
    private let builder: DevRevRequestBuilder
    private let classifier: DevRevResponseClassifier
    private let client: any HTTPClient
    private let logger: Logger
    private let tags = TagCache()

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

    /// Reopening moves the incident back to `triage_stage`, so it needs one configured.
    public var supportsReopen: Bool { builder.configuration.triageStage != nil }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        var tagIDs: [String] = []
        if [.create, .update, .reopen].contains(command.action) {
            switch await resolveTags(builder.tagNames(for: command.event)) {
            case .success(let ids): tagIDs = ids
            case .failure(let failure): return failure.outcome
            }
        }
        let request: HTTPRequest
        do {
            request = try builder.request(for: command, tagIDs: tagIDs)
        } catch {
            return .permanent(error)
        }
        do {
            let response = try await client.execute(request)
            // The same reply posted before (a retry or a replay): DevRev refuses the duplicate external_ref.
            if command.action == .comment && response.status == 409 {
                return .success(externalID: nil, httpStatus: 409)
            }
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

    /// Tag ids for `names`, finding or creating each tag once per process.
    private func resolveTags(_ names: [String]) async -> Result<[String], TargetFailureOutcome> {
        var ids: [String] = []
        for name in names {
            if let known = await tags.id(name) {
                ids.append(known)
                continue
            }
            do {
                let found = try await client.execute(builder.tagLookupRequest(name: name))
                guard (200..<300).contains(found.status) else {
                    return .failure(TargetFailureOutcome(classifier.classify(found, for: .update)))
                }
                let existing = (try? JSONParser().parse(found.body))?["tags"]?.array?.first {
                    $0["name"]?.string == name
                }?["id"]?.string
                if let existing {
                    await tags.remember(name, existing)
                    ids.append(existing)
                    continue
                }
                let created = try await client.execute(builder.tagCreateRequest(name: name))
                guard (200..<300).contains(created.status) else {
                    return .failure(TargetFailureOutcome(classifier.classify(created, for: .update)))
                }
                guard let id = (try? JSONParser().parse(created.body))?["tag"]?["id"]?.string else {
                    return .failure(
                        TargetFailureOutcome(
                            .permanent(
                                TargetFailure(
                                    .invalidResponse,
                                    "tags.create answered without tag.id",
                                    httpStatus: created.status
                                )
                            )
                        )
                    )
                }
                await tags.remember(name, id)
                ids.append(id)
            } catch let error as HTTPTransportError {
                return .failure(TargetFailureOutcome(classifier.classify(error)))
            } catch {
                return .failure(
                    TargetFailureOutcome(.retryable(TargetFailure(.transport, "\(error)"), retryAfter: nil))
                )
            }
        }
        return .success(ids)
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

/// Tag ids by name, learned from `tags.list` and `tags.create`.
actor TagCache {
    private var ids: [String: String] = [:]

    func id(_ name: String) -> String? { ids[name] }

    func remember(_ name: String, _ id: String) { ids[name] = id }
}

public import Logging
public import Normalizer

/// The DevRev incident target (`target.kind: devrev`): builds, sends through the shared executor, classifies.
///
/// Updates send only what ingestor owns, so what people set (owner, parts, custom fields ingestor does not fill)
/// is never touched; tags, which an update can only `set` as a whole, are read first so people's tags are kept.
/// Replies are timeline comments, records of their own.
public struct DevRevTarget: IncidentTarget {
    private let builder: DevRevRequestBuilder
    private let classifier: DevRevResponseClassifier
    private let executor: TargetExecutor
    private let tags = TagCache()

    /// Creates the target.
    public init(configuration: DevRevConfiguration, client: any HTTPClient, logger: Logger) {
        builder = DevRevRequestBuilder(configuration: configuration)
        executor = TargetExecutor(
            adapter: "devrev",
            authentication: configuration.authentication,
            client: client,
            timeout: configuration.requestTimeout,
            logger: logger
        )
        classifier = DevRevResponseClassifier(redactor: executor.redactor)
    }

    public var name: String { "devrev" }

    /// DevRev stores the dedup key in `sync_metadata.external_reference` and can filter on it.
    public var supportsLookup: Bool { true }

    /// Reopening moves the incident back to `triage_stage`, so it needs one configured.
    public var supportsReopen: Bool { builder.configuration.triageStage != nil }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            var tagIDs: [String] = []
            if [.create, .update, .reopen].contains(command.action) {
                tagIDs = try await resolveTags(builder.tagNames(for: command.event))
            }
            // `tags.set` replaces the incident's tags: keep the ones people added.
            if !tagIDs.isEmpty, [.update, .reopen].contains(command.action) {
                let current = try await executor.send(builder.getRequest(id: try command.incidentID()))
                tagIDs = builder.tagsToKeep(try classifier.currentTags(current)) + tagIDs
            }
            let request = try TargetFailureOutcome.refusing { () throws(TargetFailure) in
                try builder.request(for: command, tagIDs: tagIDs)
            }
            let response = try await executor.send(request)
            // The same reply posted before (a retry or a replay): DevRev refuses the duplicate external_ref.
            if command.action == .comment && response.status == 409 {
                return .success(externalID: nil, httpStatus: 409)
            }
            return classifier.classify(response, for: command.action)
        }
    }

    /// Tag ids for `names`, finding or creating each tag once per process.
    private func resolveTags(_ names: [String]) async throws(TargetFailureOutcome) -> [String] {
        var ids: [String] = []
        for name in names {
            if let known = await tags.id(name) {
                ids.append(known)
                continue
            }
            let found = try await executor.send(builder.tagLookupRequest(name: name))
            let id: String
            if let existing = try classifier.existingTag(named: name, in: found) {
                id = existing
            } else {
                id = try classifier.createdTag(try await executor.send(builder.tagCreateRequest(name: name)))
            }
            await tags.remember(name, id)
            ids.append(id)
        }
        return ids
    }

    public func lookup(dedupKey: String) async -> LookupOutcome {
        await executor.lookup { () async throws(TargetFailureOutcome) -> LookupOutcome in
            classifier.classifyLookup(
                try await executor.send(builder.lookupRequest(dedupKey: dedupKey)),
                resolvedStage: builder.configuration.resolvedStage
            )
        }
    }
}

/// Tag ids by name, learned from `tags.list` and `tags.create`.
actor TagCache {
    private var ids: [String: String] = [:]

    func id(_ name: String) -> String? { ids[name] }

    func remember(_ name: String, _ id: String) { ids[name] = id }
}

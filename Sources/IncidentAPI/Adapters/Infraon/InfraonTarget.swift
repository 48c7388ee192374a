public import Logging
public import Normalizer

/// Infraon Infinity (`target.kind: infraon`), as Infraon's API guide, "Modules › Incident", documents it, and as
/// Fortinet's connector shows real tenants answering, told apart from each answer:
///
/// - create: `POST …/incident/`; with no body in the answer (the guide), the new incident is found in the list by
///   the dedup key's marker line in its description.
/// - update: GET, change what ingestor owns, PUT the whole document back (flat or wrapped, as the GET answered).
/// - resolve: `POST …/incident/inci_resolve/`; when the tenant refuses it, a PUT of the resolved status instead;
///   then the resolution note.
/// - comment: a note through `save-rich-text/`.
public struct InfraonTarget: IncidentTarget {
    private let builder: InfraonRequestBuilder
    private let executor: TargetExecutor
    private let classifier: InfraonResponseClassifier

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
        classifier = InfraonResponseClassifier(redactor: executor.redactor)
    }

    public var name: String { "infraon" }

    /// The dedup key's marker line is in the description, and the list endpoint can be searched for it.
    public var supportsLookup: Bool { true }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        await executor.run { () async throws(TargetFailureOutcome) -> TargetOutcome in
            let configuration = builder.configuration
            let event = command.event
            if command.action == .create { return try await create(command) }
            let id = try command.incidentID()
            switch command.action {
            case .create, .reopen:
                // No way back from resolved is documented; the correlator opens a new incident (supportsReopen).
                throw .permanent(.unsupported, "\(name) cannot reopen an incident")
            case .comment:
                return try await call(builder.note(id, text: IncidentText.comment(event)), id: id)
            case .update:
                var incident = try await read(id)
                incident.document = incident.updated(
                    with: event,
                    dedupKey: command.dedupKey,
                    levels: builder.levels(event.severity)
                )
                if event.status == .acknowledged, incident.isWrapped || configuration.acknowledgedStatusID != nil {
                    incident.document = try TargetFailureOutcome.refusing { () throws(TargetFailure) in
                        try incident.settingStatus(
                            configuration.acknowledgedStatus,
                            configuredID: configuration.acknowledgedStatusID,
                            key: "target.infraon.acknowledged_status_id"
                        )
                    }
                }
                return try await call(builder.put(id, incident.document), id: id)
            case .resolve:
                let response = try await executor.send(builder.inciResolve(command))
                if classifier.refusesEndpoint(response) {
                    executor.debug("infraon: inci_resolve/ answered \(response.status); resolving with a PUT")
                    let incident = try await read(id)
                    let document = try TargetFailureOutcome.refusing { () throws(TargetFailure) in
                        try incident.settingStatus(
                            configuration.resolvedStatus,
                            configuredID: configuration.resolvedStatusID,
                            key: "target.infraon.resolved_status_id"
                        )
                    }
                    _ = try await call(builder.put(id, document), id: id)
                } else {
                    _ = try classifier.accept(response)
                }
                return try await call(builder.note(id, text: IncidentText.resolutionNote(event)), id: id)
            }
        }
    }

    public func lookup(dedupKey: String) async -> LookupOutcome {
        await executor.lookup { () async throws(TargetFailureOutcome) -> LookupOutcome in
            try await find(dedupKey, openOnly: false).map { .found(externalID: $0.id, status: $0.status) }
                ?? .notFound
        }
    }

    /// Creates the incident; reads its id from the answer, or finds it in the list when the answer has none.
    private func create(_ command: IncidentCommand) async throws(TargetFailureOutcome) -> TargetOutcome {
        let response = try await executor.send(builder.create(command))
        if let id = InfraonResponseClassifier.createdID(in: try classifier.accept(response)) {
            return .success(externalID: id, httpStatus: response.status)
        }
        guard let id = try await find(command.dedupKey, openOnly: true)?.id else {
            // Created, yet not listed (yet): the worker looks it up again before it would create anything.
            throw TargetFailureOutcome(
                .retryable(
                    TargetFailure(
                        .invalidResponse,
                        "Infraon accepted the create without an id, and no open incident in the first "
                            + "\(builder.configuration.lookupPages) pages carries its marker",
                        httpStatus: response.status
                    ),
                    retryAfter: nil
                )
            )
        }
        return .success(externalID: id, httpStatus: response.status)
    }

    /// The incident carrying `dedupKey`'s marker, with its status: the open one (or one whose status the list does
    /// not show), else (unless `openOnly`) the newest closed one.
    private func find(
        _ dedupKey: String,
        openOnly: Bool
    ) async throws(TargetFailureOutcome) -> (id: String, status: LookupOutcome.Status)? {
        let closed: Set<String> = [builder.configuration.resolvedStatus, "Resolved", "Closed"]
        var newest: (id: String, createdAt: String)?
        for page in 1...max(1, builder.configuration.lookupPages) {
            let answer = try classifier.accept(try await executor.send(builder.list(page: page)))
            let (items, more) = try InfraonResponseClassifier.listPage(answer)
            for item in items {
                guard let found = InfraonResponseClassifier.match(item, dedupKey: dedupKey) else { continue }
                let status = InfraonResponseClassifier.status(of: item, closedStatuses: closed)
                if status != .closed { return (found.id, status) }
                if newest == nil || found.createdAt > newest!.createdAt { newest = found }
            }
            if !more { break }
        }
        guard !openOnly, let newest else { return nil }
        return (newest.id, .closed)
    }

    /// The incident `id` as its GET answers it.
    private func read(_ id: String) async throws(TargetFailureOutcome) -> InfraonIncident {
        let response = try await executor.send(builder.get(id))
        guard let incident = InfraonIncident(answer: try classifier.accept(response)) else {
            throw .permanent(
                .invalidResponse,
                "Infraon's incident answer is neither an incident document nor {incident, options}",
                httpStatus: response.status
            )
        }
        return incident
    }

    /// Sends `request`; a success is the incident `id`'s.
    private func call(_ request: HTTPRequest, id: String) async throws(TargetFailureOutcome) -> TargetOutcome {
        let response = try await executor.send(request)
        _ = try classifier.accept(response)
        return .success(externalID: id, httpStatus: response.status)
    }
}

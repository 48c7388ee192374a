public import Logging
public import Normalizer

/// Builds generic HTTP requests from templates. Pure.
public struct GenericHTTPRequestBuilder: Sendable {
    /// The settings.
    public var configuration: GenericHTTPConfiguration

    /// Creates a builder.
    public init(configuration: GenericHTTPConfiguration) {
        self.configuration = configuration
    }

    /// The request for `command`.
    /// - Throws: ``TargetFailure`` `target_unsupported` when the operation is not configured, or an update, resolve
    ///   or comment has no incident id.
    public func request(for command: IncidentCommand) throws(TargetFailure) -> HTTPRequest {
        guard let operation = configuration.operations[command.action] else {
            throw TargetFailure(
                .unsupported,
                "target.http.\(command.action.rawValue) is not configured, so \(command.action.rawValue) commands cannot be sent"
            )
        }
        if command.action != .create, command.externalID?.isEmpty ?? true {
            throw TargetFailure(
                .unsupported,
                "\(command.action.rawValue) needs the incident id, and the command has none"
            )
        }
        return build(operation, template: template(for: command))
    }

    /// The lookup request for `dedupKey`, when one is configured.
    public func lookupRequest(dedupKey: String) -> HTTPRequest? {
        guard let lookup = configuration.lookup else { return nil }
        let event = NormalizedEvent(
            source: "",
            dedupKey: dedupKey,
            status: .firing,
            severity: .info,
            title: "",
            description: ""
        )
        let command = IncidentCommand(action: .create, dedupKey: dedupKey, event: event, reason: "lookup")
        return build(lookup, template: template(for: command))
    }

    func template(for command: IncidentCommand) -> RequestTemplate {
        RequestTemplate(
            command: command,
            severity: configuration.severityValues[command.event.severity] ?? command.event.severity.rawValue,
            status: configuration.statusValues[command.event.status] ?? command.event.status.rawValue,
            bodyText: DevRevRequestBuilder.bodyText(for: command.event)
        )
    }

    private func build(_ operation: GenericHTTPConfiguration.Operation, template: RequestTemplate) -> HTTPRequest {
        let path = template.text(operation.path, encode: Percent.encode)
        let url = path.hasPrefix("http://") || path.hasPrefix("https://") ? path : configuration.baseURL + path
        var headers = [HTTPHeader("Accept", "application/json")]
        if operation.body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
        for header in operation.headers {
            headers.removeAll { $0.name.lowercased() == header.name.lowercased() }
            // Header values may not carry line breaks: a label must not be able to add a header.
            headers.append(
                HTTPHeader(
                    header.name,
                    template.text(header.value) { value in
                        // Scalars, not Characters: "\r\n" is a single Character equal to neither.
                        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
                    }
                )
            )
        }
        return HTTPRequest(
            method: operation.method,
            url: url,
            headers: headers,
            body: operation.body.map { JSONWriter.bytes(template.json($0)) },
            timeout: configuration.requestTimeout
        )
    }
}

/// Any REST API, driven by request templates (`target.kind: http`).
public struct GenericHTTPTarget: IncidentTarget {
    private let builder: GenericHTTPRequestBuilder
    private let client: AuthorizedClient
    private let classifier: HTTPStatusClassifier
    private let logger: Logger

    /// Creates the target.
    public init(configuration: GenericHTTPConfiguration, client: any HTTPClient, logger: Logger) {
        builder = GenericHTTPRequestBuilder(configuration: configuration)
        let redactor = Redactor(secrets: configuration.authentication.secrets)
        self.client = AuthorizedClient(
            client: client,
            authentication: configuration.authentication,
            redactor: redactor,
            timeout: configuration.requestTimeout
        )
        classifier = HTTPStatusClassifier(redactor: redactor)
        var logger = logger
        logger[metadataKey: "incident.adapter"] = "\(configuration.name)"
        self.logger = logger
    }

    public var name: String { builder.configuration.name }

    public var supportsLookup: Bool { builder.configuration.lookup != nil }

    public var supportsReopen: Bool { builder.configuration.operations[.reopen] != nil }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        let request: HTTPRequest
        do {
            request = try builder.request(for: command)
        } catch {
            return .permanent(error)
        }
        switch await client.send(request) {
        case .failure(let failure):
            return failure.outcome
        case .success(let response):
            logger.debug(
                "\(name) \(command.action.rawValue) → \(response.status)",
                metadata: ["incident.dedup_key": "\(command.dedupKey)"]
            )
            let pointer = builder.configuration.operations[command.action]?.idPointer
            return Self.classify(response, action: command.action, pointer: pointer, classifier: classifier)
        }
    }

    public func lookup(dedupKey: String) async -> LookupOutcome {
        guard let request = builder.lookupRequest(dedupKey: dedupKey) else { return .unsupported }
        switch await client.send(request) {
        case .failure(let failure):
            return .failed(failure.outcome)
        case .success(let response):
            if response.status == 404 { return .notFound }
            guard (200..<300).contains(response.status) else { return .failed(classifier.classify(response)) }
            let document = try? JSONParser().parse(response.body)
            guard let pointer = builder.configuration.lookup?.idPointer, let document,
                let id = pointer.resolve(in: document)?.scalarText, !id.isEmpty
            else { return .notFound }
            return .found(externalID: id)
        }
    }

    /// Success needs the id for creates, read at the operation's pointer.
    static func classify(
        _ response: HTTPResponse,
        action: IncidentCommand.Action,
        pointer: JSONPointer?,
        classifier: HTTPStatusClassifier
    ) -> TargetOutcome {
        guard (200..<300).contains(response.status) else { return classifier.classify(response) }
        let id = pointer.flatMap { pointer in
            (try? JSONParser().parse(response.body)).flatMap { pointer.resolve(in: $0)?.scalarText }
        }
        if action == .create && (id ?? "").isEmpty {
            return .permanent(
                TargetFailure(
                    .invalidResponse,
                    "the create answer has no id at \(pointer?.description ?? "(no id_pointer configured)")",
                    httpStatus: response.status,
                    responseExcerpt: classifier.redactor.redact(
                        String(decoding: response.body.prefix(512), as: UTF8.self)
                    )
                )
            )
        }
        return .success(externalID: id, httpStatus: response.status)
    }
}

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
            bodyText: IncidentText.body(command.event)
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

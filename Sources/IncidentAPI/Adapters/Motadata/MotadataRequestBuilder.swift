public import Normalizer

/// Builds Motadata ServiceOps requests for either API generation: the incident API of the "Update an Incident"
/// page (`/api/v1/incident`, the default) or ServiceOps 8.x's request API (`/api/v1/request`). Pure.
///
/// A command may need more than one call: a resolve on the request API is a PATCH of `statusName` and then a
/// conversation note; an update, reopen or reply on the incident API first reads the incident
/// (``legacyGet(_:)``), because its description is shared with replies and people (``legacyUpdate(_:current:command:)``).
public struct MotadataRequestBuilder: Sendable {
    /// The settings.
    public var configuration: MotadataConfiguration

    /// Creates a builder.
    public init(configuration: MotadataConfiguration) {
        self.configuration = configuration
    }

    /// Whether `command` starts with reading the incident: updates, reopens and replies on the incident API.
    public func readsFirst(_ command: IncidentCommand) -> Bool {
        configuration.api == .incident && [.update, .reopen, .comment].contains(command.action)
    }

    /// The calls for a command that needs nothing read first, in order.
    /// - Throws: ``TargetFailure/Code/unsupported`` when the command has no incident id, or reads first.
    public func requests(for command: IncidentCommand) throws(TargetFailure) -> [HTTPRequest] {
        let event = command.event
        switch (configuration.api, command.action) {
        case (.request, .create): return [requestCreate(command)]
        case (.request, .update), (.request, .reopen): return [requestUpdate(try id(of: command), command)]
        case (.request, .resolve):
            let id = try id(of: command)
            return [requestResolve(id, event), note(id: id, text: IncidentText.resolutionNote(event))]
        case (.request, .comment): return [note(id: try id(of: command), text: IncidentText.comment(event))]
        case (.incident, .create): return [legacyCreate(command)]
        case (.incident, .resolve): return [legacyResolve(try id(of: command))]
        case (.incident, .update), (.incident, .reopen), (.incident, .comment):
            throw TargetFailure(.unsupported, "\(command.action.rawValue) on the incident API reads the incident first")
        }
    }

    /// The levels for `severity` in the generation's spelling.
    func levels(_ severity: Severity) -> MotadataConfiguration.Levels {
        configuration.levels[severity] ?? MotadataConfiguration.defaultLevels(configuration.api)[severity]!
    }

    /// The tags every new incident carries: the configured ones and `source:<source>`.
    func tags(_ event: NormalizedEvent) -> JSONValue {
        .array((configuration.tags + ["source:\(event.source)"]).map(JSONValue.string))
    }

    /// (custom field, label value) for each configured label the event has, sorted by field.
    func customFields(_ event: NormalizedEvent) -> [(String, String)] {
        configuration.labelFields.sorted { $0.key < $1.key }.compactMap { field, label in
            event.labels[label].map { (field, $0) }
        }
    }

    func post(_ path: String, _ body: JSONObject) -> HTTPRequest { request("POST", path, body) }

    func request(_ method: String, _ path: String, _ body: JSONObject?) -> HTTPRequest {
        var headers = [HTTPHeader("Accept", "application/json")]
        if body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
        return HTTPRequest(
            method: method,
            url: configuration.baseURL + path,
            headers: headers,
            body: body.map { JSONWriter.bytes(.object($0)) },
            timeout: configuration.requestTimeout
        )
    }

    func id(of command: IncidentCommand) throws(TargetFailure) -> String {
        guard let id = command.externalID, !id.isEmpty else {
            throw TargetFailure(
                .unsupported,
                "\(command.action.rawValue) needs the incident id, and the command has none"
            )
        }
        return id
    }
}

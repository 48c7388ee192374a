public import Normalizer

/// Builds DevRev requests from incident commands. Pure: no I/O, no clock.
public struct DevRevRequestBuilder: Sendable {
    /// The adapter's settings.
    public var configuration: DevRevConfiguration

    /// Creates a builder.
    public init(configuration: DevRevConfiguration) {
        self.configuration = configuration
    }

    /// The request for `command`.
    /// - Throws: ``TargetFailure`` with ``TargetFailure/Code/unsupported`` when an update, resolve or comment has no
    ///   incident id.
    public func request(for command: IncidentCommand) throws(TargetFailure) -> HTTPRequest {
        let event = command.event
        var body = JSONObject()
        let path: String
        switch command.action {
        case .create:
            path = "/incidents.create"
            body["title"] = .string(event.title)
            body["body"] = .string(Self.bodyText(for: event))
            body["severity"] = .number(String(severityID(event.severity)))
            body["sync_metadata"] = .object(
                JSONObject([
                    ("external_reference", .string(command.dedupKey)),
                    ("origin_system", .string(configuration.originSystem)),
                ])
            )
            if let occurredAt = event.occurredAt { body["identified_date"] = .string(occurredAt.rfc3339) }
            if let triage = configuration.triageStage {
                body["stage"] = .object(JSONObject([("stage", .string(triage))]))
            }
        case .update:
            path = "/incidents.update"
            body["id"] = .string(try id(of: command))
            body["title"] = .string(event.title)
            body["body"] = .string(Self.bodyText(for: event))
            body["severity"] = .number(String(severityID(event.severity)))
        case .resolve:
            path = "/incidents.update"
            body["id"] = .string(try id(of: command))
            let note = "Resolved at the source\(event.resolvedAt.map { " at \($0.rfc3339)" } ?? "") (\(event.source))."
            body["stage"] = .object(
                JSONObject([("stage", .string(configuration.resolvedStage)), ("notes", .string(note))])
            )
            if let resolvedAt = event.resolvedAt { body["mitigated_date"] = .string(resolvedAt.rfc3339) }
        case .comment:
            path = "/timeline-entries.create"
            body["type"] = .string("timeline_comment")
            body["object"] = .string(try id(of: command))
            body["body"] = .string(event.description.isEmpty ? event.title : event.description)
            body["body_type"] = .string("text")
            body["visibility"] = .string("internal")
        }
        return HTTPRequest(
            method: "POST",
            url: configuration.baseURL + path,
            headers: [
                HTTPHeader("Authorization", "Bearer \(configuration.token.exposedValue)"),
                HTTPHeader("Content-Type", "application/json"),
                HTTPHeader("Accept", "application/json"),
            ],
            body: JSONWriter.bytes(.object(body)),
            timeout: configuration.requestTimeout
        )
    }

    /// The request that finds the incident created for `dedupKey` (`incidents.list` filtered by external reference).
    public func lookupRequest(dedupKey: String) -> HTTPRequest {
        HTTPRequest(
            method: "GET",
            url: configuration.baseURL + "/incidents.list?limit=1&sync_metadata.external_reference="
                + Percent.encode(dedupKey),
            headers: [
                HTTPHeader("Authorization", "Bearer \(configuration.token.exposedValue)"),
                HTTPHeader("Accept", "application/json"),
            ],
            timeout: configuration.requestTimeout
        )
    }

    private func severityID(_ severity: Severity) -> Int {
        configuration.severityIDs[severity] ?? 3
    }

    private func id(of command: IncidentCommand) throws(TargetFailure) -> String {
        guard let id = command.externalID, !id.isEmpty else {
            throw TargetFailure(
                .unsupported,
                "\(command.action.rawValue) needs the incident id, and the command has none"
            )
        }
        return id
    }

    /// The incident body: the description, then labels and links, so a responder sees where the alert came from.
    static func bodyText(for event: NormalizedEvent) -> String {
        var text = event.description
        if !event.labels.isEmpty {
            if !text.isEmpty { text += "\n\n" }
            text +=
                "Labels:\n"
                + event.labels.sorted { $0.key < $1.key }.map { "- \($0.key): \($0.value)" }.joined(separator: "\n")
        }
        if !event.links.isEmpty {
            if !text.isEmpty { text += "\n\n" }
            text += "Links:\n" + event.links.map { "- \($0.text): \($0.href)" }.joined(separator: "\n")
        }
        return text
    }
}

extension TargetFailure: Error {}

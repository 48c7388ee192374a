public import Normalizer

/// Builds DevRev requests from incident commands. Pure: no I/O, no clock.
public struct DevRevRequestBuilder: Sendable {
    /// The adapter's settings.
    public var configuration: DevRevConfiguration

    /// Creates a builder.
    public init(configuration: DevRevConfiguration) {
        self.configuration = configuration
    }

    /// The tag names `event` should carry: `label:value` for each configured tag label it has.
    public func tagNames(for event: NormalizedEvent) -> [String] {
        configuration.tagLabels.compactMap { label in event.labels[label].map { "\(label):\($0)" } }
    }

    /// `GET /tags.list?name=…`: the tag named `name`, if it exists.
    public func tagLookupRequest(name: String) -> HTTPRequest {
        HTTPRequest(
            method: "GET",
            url: configuration.baseURL + "/tags.list?limit=1&name=" + Percent.encode(name),
            headers: [
                HTTPHeader("Accept", "application/json")
            ],
            timeout: configuration.requestTimeout
        )
    }

    /// `GET /incidents.get?id=…`: the incident, for the tags an update must keep.
    public func getRequest(id: String) -> HTTPRequest {
        HTTPRequest(
            method: "GET",
            url: configuration.baseURL + "/incidents.get?id=" + Percent.encode(id),
            headers: [HTTPHeader("Accept", "application/json")],
            timeout: configuration.requestTimeout
        )
    }

    /// `POST /tags.create` for `name`.
    public func tagCreateRequest(name: String) -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            url: configuration.baseURL + "/tags.create",
            headers: [
                HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json"),
            ],
            body: JSONWriter.bytes(.object(JSONObject([("name", .string(name))]))),
            timeout: configuration.requestTimeout
        )
    }

    /// A comment's `external_ref`: the same reply always gets the same reference, so a retried or replayed comment
    /// is refused by DevRev (409) instead of posted twice.
    public static func commentReference(_ command: IncidentCommand) -> String {
        var hash = FNV1a()
        hash.combine(command.dedupKey)
        hash.combine(0xFF)
        hash.combine(command.event.occurredAt?.rfc3339 ?? "")
        hash.combine(0xFF)
        hash.combine(command.event.description)
        return "ingestor:" + String(hash.value, radix: 16)
    }

    /// The ids of the incident's current tags an update must keep in its `tags.set`: every tag but ingestor's own
    /// (`label:value` for a configured tag label), which the update sets anew. Tags people added are kept.
    public func tagsToKeep(_ current: [(id: String, name: String)]) -> [String] {
        let owned = configuration.tagLabels.map { "\($0):" }
        return current.filter { tag in !owned.contains { tag.name.hasPrefix($0) } }.map(\.id)
    }

    /// The request for `command`.
    /// - Parameter tagIDs: ids of the tags the incident carries (from ``tagNames(for:)``), for creates and updates;
    ///   for an update, with the ids from ``tagsToKeep(_:)`` too, since `tags.set` replaces the incident's tags.
    /// - Throws: ``TargetFailure`` with ``TargetFailure/Code/unsupported`` when an update, resolve or comment has no
    ///   incident id.
    public func request(for command: IncidentCommand, tagIDs: [String] = []) throws(TargetFailure) -> HTTPRequest {
        let event = command.event
        var body = JSONObject()
        let path: String
        switch command.action {
        case .create:
            path = "/incidents.create"
            body["title"] = .string(event.title)
            body["body"] = .string(IncidentText.body(event))
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
            if !tagIDs.isEmpty {
                body["tags"] = .array(tagIDs.map { .object(JSONObject([("tag_id", .string($0))])) })
            }
            addCustomFields(event, to: &body)
        case .update:
            path = "/incidents.update"
            body["id"] = .string(try id(of: command))
            body["title"] = .string(event.title)
            body["body"] = .string(IncidentText.body(event))
            body["severity"] = .number(String(severityID(event.severity)))
            if !tagIDs.isEmpty {
                body["tags"] = .object(
                    JSONObject([("set", .array(tagIDs.map { .object(JSONObject([("tag_id", .string($0))])) }))])
                )
            }
            addCustomFields(event, to: &body)
            if event.status == .acknowledged, let stage = configuration.acknowledgedStage {
                body["stage"] = .object(JSONObject([("stage", .string(stage))]))
                if let time = event.occurredAt { body["acknowledged_date"] = .string(time.rfc3339) }
            }
        case .reopen:
            guard let triage = configuration.triageStage else {
                throw TargetFailure(.unsupported, "reopening needs target.devrev.triage_stage, the stage to go back to")
            }
            path = "/incidents.update"
            body["id"] = .string(try id(of: command))
            body["title"] = .string(event.title)
            body["body"] = .string(IncidentText.body(event))
            body["severity"] = .number(String(severityID(event.severity)))
            body["stage"] = .object(
                JSONObject([
                    ("stage", .string(triage)), ("notes", .string("Firing again (\(event.source)); reopened.")),
                ])
            )
            if !tagIDs.isEmpty {
                body["tags"] = .object(
                    JSONObject([("set", .array(tagIDs.map { .object(JSONObject([("tag_id", .string($0))])) }))])
                )
            }
            addCustomFields(event, to: &body)
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
            body["external_ref"] = .string(Self.commentReference(command))
        }
        return HTTPRequest(
            method: "POST",
            url: configuration.baseURL + path,
            headers: [
                HTTPHeader("Content-Type", "application/json"),
                HTTPHeader("Accept", "application/json"),
            ],
            body: JSONWriter.bytes(.object(body)),
            timeout: configuration.requestTimeout
        )
    }

    /// The request that finds the incident created for `dedupKey` (`incidents.list` filtered by external reference).
    /// Up to ``lookupLimit`` are listed: a key that fired again after its resolve has a closed incident beside the
    /// open one, and the list is not filtered by stage (stage DONs differ per tenant).
    public func lookupRequest(dedupKey: String) -> HTTPRequest {
        HTTPRequest(
            method: "GET",
            url: configuration.baseURL + "/incidents.list?limit=\(Self.lookupLimit)&sync_metadata.external_reference="
                + Percent.encode(dedupKey),
            headers: [
                HTTPHeader("Accept", "application/json")
            ],
            timeout: configuration.requestTimeout
        )
    }

    /// Most incidents a lookup lists for one key.
    public static let lookupLimit = 25

    /// `custom_fields` from labels, with the schema spec DevRev requires beside them.
    private func addCustomFields(_ event: NormalizedEvent, to body: inout JSONObject) {
        let fields = configuration.labelFields.sorted { $0.key < $1.key }.compactMap { field, label in
            event.labels[label].map { (field, JSONValue.string($0)) }
        }
        guard !fields.isEmpty else { return }
        body["custom_fields"] = .object(JSONObject(fields))
        body["custom_schema_spec"] = .object(JSONObject([("tenant_fragment", .bool(true))]))
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
}

extension TargetFailure: Error {}

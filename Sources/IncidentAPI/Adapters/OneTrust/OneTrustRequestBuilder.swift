public import Normalizer

/// Builds OneTrust Incident Management requests, after OneTrust's "Update Incident" reference and its published
/// OpenAPI spec (https://developer.onetrust.com/onetrust/openapi/privacy-automation-incident-management.json). Pure.
///
/// OneTrust's update is a full replacement: a field left out is wiped (custom attributes included). So an update
/// or a comment starts from the incident as OneTrust returns it (``replacement(from:event:dedupKey:appending:)``),
/// changes what ingestor owns, and sends everything else back.
public struct OneTrustRequestBuilder: Sendable {
    /// The settings.
    public var configuration: OneTrustConfiguration

    /// Creates a builder.
    public init(configuration: OneTrustConfiguration) {
        self.configuration = configuration
    }

    static let incidentsPath = "/api/incident/v1/incidents"

    /// The marker that ties an incident to its dedup key, the line that ends ingestor's part of the description
    /// (OneTrust has no external reference field; its full-text search covers descriptions).
    public static func marker(_ dedupKey: String) -> String { DescriptionSections.marker(dedupKey) }

    /// `POST /api/incident/v1/incidents`.
    public func create(_ command: IncidentCommand) -> HTTPRequest {
        let event = command.event
        var body = JSONObject()
        body["name"] = .string(event.title)
        body["description"] = .string(
            DescriptionSections.initial(body: ownedDescription(event), dedupKey: command.dedupKey)
        )
        body["incidentTypeName"] = .string(configuration.incidentTypeName)
        body["orgGroupId"] = .string(configuration.orgGroupID)
        if let occurred = event.occurredAt {
            body["dateOccurred"] = .string(occurred.rfc3339)
            body["dateDiscovered"] = .string(occurred.rfc3339)
        }
        body["sourceType"] = .string("INTEGRATION")
        var attributes = JSONObject(labelAttributes(event))
        if let attribute = configuration.severityAttribute { attributes[attribute] = severityValue(event.severity) }
        if attributes.count > 0 { body["attributeValues"] = .object(attributes) }
        return request("POST", Self.incidentsPath, body: .object(body))
    }

    /// `GET /api/incident/v1/incidents/{id}`.
    public func get(_ id: String) -> HTTPRequest {
        request("GET", "\(Self.incidentsPath)/\(Percent.encode(id))", body: nil)
    }

    /// `PUT /api/incident/v1/incidents/{id}` with `body`.
    public func put(_ id: String, _ body: JSONObject) -> HTTPRequest {
        request("PUT", "\(Self.incidentsPath)/\(Percent.encode(id))", body: .object(body))
    }

    /// `POST /api/incident/v1/assignments/entities/{id}/stage` with `nextStageName` only.
    ///
    /// No `parameters`: the spec types each parameter value as an object while its own examples send booleans and
    /// strings (`"justification": "…"`), so only a body without them satisfies both.
    public func stage(_ id: String, to stage: String) -> HTTPRequest {
        request(
            "POST",
            "/api/incident/v1/assignments/entities/\(Percent.encode(id))/stage",
            body: .object(JSONObject([("nextStageName", .string(stage))]))
        )
    }

    /// `POST /api/incident/v1/incidents/search` for the description marker of `dedupKey`, newest first.
    public func search(_ dedupKey: String) -> HTTPRequest {
        request(
            "POST",
            "\(Self.incidentsPath)/search?page=0&size=20&sort=createdDate,desc",
            body: .object(JSONObject([("fullText", .string(Self.marker(dedupKey)))]))
        )
    }

    /// The update body: every field OneTrust returned that the update request takes, with what ingestor owns
    /// changed: name, its part of the description (above the marker line) and the severity and label attributes.
    /// Everything else comes back as OneTrust answered it — root cause, dates, notification flag, assignees,
    /// jurisdictions, every other attribute, and the description's text below the marker (replies, notes).
    /// - Parameters:
    ///   - details: the incident from a GET (`IncidentDetails`, or `IncidentInformation` with `jurisdictions`).
    ///   - event: the new content; `nil` keeps name, description and severity.
    ///   - appending: a paragraph added at the end of the description (a reply).
    public func replacement(
        from details: JSONObject,
        event: NormalizedEvent?,
        dedupKey: String,
        appending: String? = nil
    ) -> JSONObject {
        var body = JSONObject()
        body["name"] = details["name"] ?? .string(event?.title ?? "")
        body["description"] = details["description"] ?? .string("")
        body["incidentTypeName"] = details["incidentTypeName"] ?? .string(configuration.incidentTypeName)
        body["orgGroupId"] = details["orgGroupId"] ?? .string(configuration.orgGroupID)
        for key in ["dateOccurred", "dateDiscovered", "deadline", "rootCause", "notificationNeeded"] {
            if let value = details[key], value != .null { body[key] = value }
        }
        if let source = details["sourceType"]?.string, source != "NONE" { body["sourceType"] = .string(source) }
        // Every attribute goes back, or OneTrust empties it: options by id, free text by value.
        var attributes = JSONObject()
        for (name, values) in details["attributeValues"]?.object?.members ?? [] {
            attributes[name] = .array(
                (values.array ?? []).map { value in
                    var item = JSONObject()
                    if let id = value["id"]?.string { item["id"] = .string(id) }
                    if let text = value["value"]?.string { item["value"] = .string(text) }
                    return .object(item)
                }
            )
        }
        let assignees = (details["incidentAssigneeInformation"]?.array ?? []).compactMap { assignee -> JSONValue? in
            guard let id = assignee["assigneeId"]?.string else { return nil }
            var item = JSONObject([("assigneeId", .string(id))])
            if let type = assignee["type"]?.string { item["type"] = .string(type) }
            return .object(item)
        }
        if !assignees.isEmpty { body["incidentAssigneeRequests"] = .array(assignees) }
        if let jurisdictions = Self.jurisdictionRequests(details["jurisdictions"]) {
            body["jurisdictions"] = .array(jurisdictions)
        }
        if let event {
            body["name"] = .string(event.title)
            body["description"] = .string(
                DescriptionSections.replacingOwned(
                    in: body["description"]?.string ?? "",
                    with: ownedDescription(event),
                    dedupKey: dedupKey
                )
            )
            if let attribute = configuration.severityAttribute { attributes[attribute] = severityValue(event.severity) }
            for (name, value) in labelAttributes(event) { attributes[name] = value }
        }
        if let appending {
            body["description"] = .string(
                DescriptionSections.appending(appending, to: body["description"]?.string ?? "")
            )
        }
        if attributes.count > 0 { body["attributeValues"] = .object(attributes) }
        return body
    }

    /// Jurisdictions as the update takes them (`jurisdictionId`, `countryCode`, `stateProvinceCode`), from the
    /// incident's `jurisdictions` (`IncidentJurisdictionGuidanceInformation`); `nil` when the answer has none.
    public static func jurisdictionRequests(_ value: JSONValue?) -> [JSONValue]? {
        guard let items = value?.array else { return nil }
        return items.compactMap { item -> JSONValue? in
            guard let country = item["countryCode"]?.string else { return nil }
            var request = JSONObject()
            if let id = item["jurisdictionId"]?.string { request["jurisdictionId"] = .string(id) }
            request["countryCode"] = .string(country)
            if let state = item["stateProvinceCode"]?.string { request["stateProvinceCode"] = .string(state) }
            return .object(request)
        }
    }

    /// (attribute, `[{value}]`) for each configured label the event has.
    private func labelAttributes(_ event: NormalizedEvent) -> [(String, JSONValue)] {
        configuration.labelAttributes.sorted { $0.key < $1.key }.compactMap { attribute, label in
            event.labels[label].map { (attribute, .array([.object(JSONObject([("value", .string($0))]))])) }
        }
    }

    private func severityValue(_ severity: Severity) -> JSONValue {
        .array([
            .object(JSONObject([("value", .string(configuration.severityValues[severity] ?? severity.rawValue))]))
        ])
    }

    /// Ingestor's part of the description: the severity (OneTrust has no field for it) and the body.
    private func ownedDescription(_ event: NormalizedEvent) -> String {
        "Severity: \(event.severity.rawValue)\n\n" + IncidentText.body(event)
    }

    private func request(_ method: String, _ path: String, body: JSONValue?) -> HTTPRequest {
        var headers = [HTTPHeader("Accept", "application/json")]
        if body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
        return HTTPRequest(
            method: method,
            url: configuration.baseURL + path,
            headers: headers,
            body: body.map { JSONWriter.bytes($0) },
            timeout: configuration.requestTimeout
        )
    }
}

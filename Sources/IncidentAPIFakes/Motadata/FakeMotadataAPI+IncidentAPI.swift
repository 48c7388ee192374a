public import Normalizer

/// The incident API of the "Update an Incident" page, and what a person does in Motadata's own UI.
extension FakeMotadataAPI {
    /// Sets a field (`locationName`, `spam`, …) as a person would.
    public func setField(incident id: String, _ name: String, _ value: JSONValue) {
        _ = ledger.modify(id) { $0.fields[name] = value }
    }

    /// Adds `text` to the end of the description, as a person writing below ingestor's part would.
    public func appendToDescription(incident id: String, _ text: String) {
        _ = ledger.modify(id) { incident in
            incident.fields["description"] = .string((incident.fields["description"]?.string ?? "") + text)
        }
    }

    /// Checks a create or update body against the page's fields and value forms; a refusal or `nil`.
    func validateIncident(_ body: JSONObject, fields: Set<String>) -> FakeResponse? {
        if let unknown = body.keys.first(where: { !fields.contains($0) }) {
            return legacyFailure("Unrecognized field \"\(unknown)\"")
        }
        for field in ["tags", "ccEmailSet", "attachmentsRefNames"] {
            if let list = body[field], list.array?.allSatisfy({ $0.string != nil }) != true {
                return legacyFailure("\(field) must be a list of strings")
            }
        }
        if let spam = body["spam"], spam != .bool(true) && spam != .bool(false) {
            return legacyFailure("spam must be true or false")
        }
        if let status = body["status"], !Self.statuses.contains(status.string ?? "") {
            return legacyFailure("status \(status.scalarText ?? "?") is not a status of the incident")
        }
        for (field, allowed) in [
            ("priority", Self.legacyLevels), ("urgency", Self.legacyLevels), ("impact", Self.legacyImpacts),
        ] {
            if let value = body[field] {
                guard let text = value.string, allowed.contains(text) else {
                    return legacyFailure(
                        "\(field) \(value.scalarText ?? "?") is not one of \(allowed.joined(separator: ", "))"
                    )
                }
            }
        }
        return nil
    }

    func legacyFailure(_ message: String) -> FakeResponse {
        .json(
            400,
            .object(
                JSONObject([
                    ("returnCode", .string("FAILURE")), ("status", .number("1")), ("userMessage", .string(message)),
                ])
            )
        )
    }

    func legacySuccess(_ id: String) -> FakeResponse {
        .json(
            200,
            .object(
                JSONObject([
                    ("returnCode", .string("SUCCESS")), ("status", .number("0")), ("userMessage", .null),
                    ("id", .number(id)),
                ])
            )
        )
    }

    func createIncident(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return legacyFailure("the body is not JSON") }
        guard body["subject"]?.string?.isEmpty == false else { return legacyFailure("subject is required") }
        guard let requester = body["requesterEmail"]?.string else { return legacyFailure("requesterEmail is required") }
        guard requesters.contains(requester) else { return legacyFailure("requester \(requester) does not exist") }
        guard body["categoryName"]?.string != nil else { return legacyFailure("categoryName is required") }
        if let problem = validateIncident(body, fields: Self.createFields) { return problem }
        var fields = body
        fields["status"] = .string("Open")
        let reference = body["customFieldValueDetails"]?.object?.members.first?.value["stringValue"]?.string
        let incident = ledger.create(externalReference: reference, fields: fields) { number in
            (String(number), "INC-\(number)")
        }
        return legacySuccess(incident.id)
    }

    func updateIncident(id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return legacyFailure("the body is not JSON") }
        if let problem = validateIncident(body, fields: Self.updateFields) { return problem }
        if let subject = body["subject"], subject.string?.isEmpty != false {
            return legacyFailure("subject must not be empty")
        }
        let updated = ledger.modify(id) { incident in
            let before = incident.fields["description"]?.string ?? ""
            let after = body["description"]?.string ?? before
            let replied = body.keys.allSatisfy { $0 == "description" } && after.hasPrefix(before) && after != before
            for (key, value) in body.members { incident.fields[key] = value }
            let resolving = ["Resolved", "Closed"].contains(body["status"]?.string ?? "")
            let reopening = body["status"] != nil && !resolving && incident.isResolved
            incident.calls.append(
                resolving && !incident.isResolved
                    ? "resolve" : reopening ? "reopen" : replied ? "comment" : "update"
            )
            if body["status"] != nil { incident.isResolved = resolving }
        }
        guard updated != nil else {
            return .json(404, .object(JSONObject([("userMessage", .string("no incident \(id)"))])))
        }
        return legacySuccess(id)
    }

    func get(_ id: String, legacy: Bool) -> FakeResponse {
        guard let incident = ledger.incident(id) else { return error(404, "not found") }
        return .json(200, render(incident, legacy: legacy))
    }

    func render(_ incident: FakeLedger.Incident, legacy: Bool) -> JSONValue {
        var object = incident.fields
        if !legacy {
            object["id"] = .number(incident.id)
            object["name"] = .string(incident.displayID)
        }
        return .object(object)
    }
}

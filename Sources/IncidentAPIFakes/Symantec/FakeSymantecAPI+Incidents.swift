import Normalizer

/// The `Incident` controller, and what a technician does in ServiceDesk's own UI.
extension FakeSymantecAPI {
    /// Sets an `Incident` field (`classification`, `incidentType`, …) as a technician would.
    public func setField(incident id: String, _ name: String, _ value: String) {
        _ = ledger.modify(id) { $0.fields[name] = .string(value) }
    }

    /// Adds `text` to the end of the description, as a technician writing below ingestor's part would.
    public func appendToDescription(incident id: String, _ text: String) {
        _ = ledger.modify(id) { incident in
            incident.fields["incidentDescription"] = .string(
                (incident.fields["incidentDescription"]?.string ?? "") + text
            )
        }
    }

    /// The body's fields under the page's camelCase names, or the refusal: a body that is no JSON object, or that
    /// holds a field the `Incident` object does not have.
    func incidentFields(_ request: FakeRequest) -> Result<JSONObject, FakeResponse> {
        guard let body = request.jsonObject else { return .failure(message(400, "The request is invalid.")) }
        var fields = JSONObject()
        for (key, value) in body.members {
            guard let name = Self.fields[key.lowercased()] else {
                return .failure(message(400, "The request is invalid: \(key) is not a member of Incident."))
            }
            fields[name] = value
        }
        return .success(fields)
    }

    /// Checks the values an incident carries; a refusal or `nil`.
    func validate(_ fields: JSONObject) -> FakeResponse? {
        guard let user = fields["affectedUserEmail"]?.string, users.contains(user) else {
            return message(400, "AffectedUserEmail does not match a ServiceDesk user.")
        }
        for (field, allowed) in [("priority", Self.priorities), ("impact", Self.impacts), ("urgency", Self.urgencies)] {
            if let value = fields[field], !allowed.contains(value.string ?? "") {
                return message(400, "\(field) \(value.scalarText ?? "?") is not a configured value.")
            }
        }
        for field in ["affectedLocationId", "affectedDepartmentId"] {
            if let value = fields[field], !Self.isGUID(value.string ?? "") {
                return message(400, "\(field) must be a globally unique identifier.")
            }
        }
        return nil
    }

    static func isGUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    func create(_ request: FakeRequest) -> FakeResponse {
        let fields: JSONObject
        switch incidentFields(request) {
        case .success(let found): fields = found
        case .failure(let refusal): return refusal
        }
        guard fields["incidentName"]?.string?.isEmpty == false else {
            return message(400, "IncidentName is required.")
        }
        if let problem = validate(fields) { return problem }
        var stored = fields
        for key in ["sessionId", "processId", "resolution", "closeCode"] { stored[key] = nil }
        stored["status"] = .string("Assigned")
        let incident = ledger.create(externalReference: nil, fields: stored) { number in
            let digits = String(number)
            return (
                "5e1d0c3b-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits,
                "IM-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
            )
        }
        if variants.contains(.guidAnswer) { return .json(200, .string(incident.id)) }
        return .json(200, render(incident))
    }

    func get(_ id: String) -> FakeResponse {
        guard let incident = ledger.incident(id) else { return message(404, "Incident not found.") }
        return .json(200, render(incident))
    }

    func put(_ id: String, _ request: FakeRequest) -> FakeResponse {
        let fields: JSONObject
        switch incidentFields(request) {
        case .success(let found): fields = found
        case .failure(let refusal): return refusal
        }
        guard let old = ledger.incident(id) else { return message(404, "Incident not found.") }
        var merged = old.fields
        // The fields the PUT carries change; the workflow's state (Status) never does.
        for (key, value) in fields.members where !["sessionId", "processId", "status"].contains(key) {
            merged[key] = value
        }
        if let problem = validate(merged) { return problem }
        let updated = ledger.modify(id) { incident in
            let before = incident.fields["incidentDescription"]?.string ?? ""
            let after = merged["incidentDescription"]?.string ?? ""
            let appended =
                after.hasPrefix(before) && after.count > before.count
                && merged["incidentName"] == incident.fields["incidentName"]
            incident.fields = merged
            incident.calls.append(appended ? "comment" : "update")
        }
        guard let updated else { return message(404, "Incident not found.") }
        return .json(200, render(updated))
    }

    func resolve(_ id: String, _ request: FakeRequest) -> FakeResponse {
        let fields: JSONObject
        switch incidentFields(request) {
        case .success(let found): fields = found
        case .failure(let refusal): return refusal
        }
        guard fields["resolution"]?.string?.isEmpty == false, let code = fields["closeCode"]?.string else {
            return message(400, "Resolution and CloseCode are required.")
        }
        guard Self.closeCodes.contains(code) else { return message(400, "CloseCode \(code) is not defined.") }
        guard let incident = ledger.incident(id) else { return message(404, "Incident not found.") }
        guard !incident.isResolved else { return message(400, "The incident is not in the work/resolve state.") }
        let updated = ledger.modify(id) { incident in
            incident.isResolved = true
            incident.fields["status"] = .string("Resolved")
            incident.fields["resolution"] = fields["resolution"]
            incident.fields["closeCode"] = .string(code)
            incident.calls.append("resolve")
        }
        return .json(200, render(updated ?? incident))
    }

    /// The `Incident` as the GET answers it.
    func render(_ incident: FakeLedger.Incident) -> JSONValue {
        var object = incident.fields
        object["sessionId"] = .string(incident.id)
        object["processId"] = .string(incident.displayID)
        return .object(object)
    }
}

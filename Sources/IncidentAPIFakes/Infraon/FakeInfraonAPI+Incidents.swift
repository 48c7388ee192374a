public import Normalizer

/// The incident endpoints: create, GET, PUT, `inci_resolve/` and notes.
extension FakeInfraonAPI {
    /// Sets a top-level field of the incident document, as a person working the ticket would.
    public func setField(incident id: String, _ name: String, _ value: JSONValue) {
        _ = ledger.modify(id) { $0.fields[name] = value }
    }

    /// Appends `text` to the incident's description, as a person adding a line below ingestor's would.
    public func appendToDescription(incident id: String, _ text: String) {
        _ = ledger.modify(id) { incident in
            var info = incident.fields["basic_info"]?.object ?? JSONObject()
            info["description"] = .string((info["description"]?.string ?? "") + text)
            incident.fields["basic_info"] = .object(info)
        }
    }

    /// Checks one option field written flat (`priority` name + `priority_id`) or, where allowed, as `{id, name}`.
    /// - Returns: a refusal message, or `nil`.
    func checkOption(_ object: JSONObject, _ field: String, _ list: [(Int, String)], objects: Bool) -> String? {
        if let value = object[field], value != .null {
            if let option = value.object {
                guard objects else {
                    return "\(field) must be the option's name, with its id in \(field)_id"
                }
                guard let id = option["id"]?.int64, let name = option["name"]?.string,
                    list.contains(where: { $0.0 == Int(id) && $0.1 == name })
                else { return "\(field) must be one of the tenant's options {id, name}" }
                return nil
            }
            guard !objects else { return "\(field) must be an option {id, name}" }
            guard let name = value.string, let entry = list.first(where: { $0.1 == name }) else {
                return "\(field) \(value.scalarText ?? "?") is not one of the tenant's options"
            }
            if let id = object["\(field)_id"], id.int64 != Int64(entry.0) {
                return "\(field)_id \(id.scalarText ?? "?") is not the id of \(name)"
            }
        } else if let id = object["\(field)_id"], !list.contains(where: { Int64($0.0) == id.int64 }) {
            return "\(field)_id \(id.scalarText ?? "?") is not one of the tenant's options"
        }
        return nil
    }

    func create(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "JSON parse error.") }
        let wrapped = variants.contains(.wrappedIncident)
        let allowed = wrapped ? Self.createFields.union(["severity", "current_assignment_info"]) : Self.createFields
        if let unknown = body.keys.first(where: { !allowed.contains($0) }) {
            return error(400, "\(unknown) is not a field of an incident.")
        }
        guard body["summary"]?.string?.isEmpty == false else { return error(400, "summary is required.") }
        guard let requester = body["requester_email"]?.string, requesters.contains(requester) else {
            return error(400, "requester_email does not belong to a requester.")
        }
        if let type = body["incident_type"],
            type["id"]?.int64 != 1 || type["name"]?.string != "Incident" || type["prefix"]?.string != "inci"
        {
            return error(400, "incident_type must be {id: 1, name: Incident, prefix: inci}.")
        }
        for (field, list) in Self.lists.dropLast() {
            if let problem = checkOption(body, field, list, objects: wrapped && body[field]?.object != nil) {
                return error(400, problem)
            }
        }
        var info = JSONObject()
        info["summary"] = body["summary"]
        info["description"] = body["description"] ?? .string("")
        for (field, list) in Self.lists {
            let entry =
                list.first { Int64($0.0) == (body["\(field)_id"]?.int64 ?? body[field]?["id"]?.int64) }
                ?? list.first { $0.1 == (body[field]?.string ?? body[field]?["name"]?.string) }
                ?? list[field == "priority" ? 4 : field == "status" ? 0 : list.count - 1]
            if wrapped {
                info[field] = Self.option(entry)
            } else {
                info[field] = .string(entry.1)
                info["\(field)_id"] = .number(String(entry.0))
            }
        }
        if !wrapped {
            info["state"] = .string("Open")
            info["state_id"] = .number("1")
        }
        let requesterInfo = JSONObject([
            ("email", .string(requester)), ("name", body["requester_name"] ?? .string("")),
        ])
        var document = JSONObject()
        for field in Self.documentFields.sorted() where field != "incident_id" && field != "display_id" {
            document[field] = Self.emptyValue(field)
        }
        document["basic_info"] = .object(info)
        document["requester"] = .object(requesterInfo)
        // Later incidents have later times, so "newest" can be told from the documents.
        let sequence = String(100_000 + ledger.incidents.count + 1).dropFirst()
        document["creation_time"] = .string("2026-01-01T00:00:00.\(sequence)Z")
        let incident = ledger.create(externalReference: nil, fields: document) { number in
            ("64f0c0de\(String(repeating: "0", count: max(0, 16 - String(number).count)))\(number)", "INC-\(number)")
        }
        guard variants.contains(.createAnswersID) else { return FakeResponse(status: 201) }
        return .json(
            200,
            .object(
                JSONObject([
                    ("status", .string("success")), ("message", .string("Incident created")),
                    (
                        "data",
                        .object(
                            JSONObject([("id", .string(incident.id)), ("display_id", .string(incident.displayID))])
                        )
                    ),
                ])
            )
        )
    }

    /// The value a field of a new incident starts with.
    static func emptyValue(_ field: String) -> JSONValue {
        switch field {
        case "reference", "impacted_asset", "current_watcher", "custom_field", "tag", "kb": .array([])
        case "is_merge_incident", "is_archive", "unread_mail": .bool(false)
        case "creation_time", "last_update_time": .string("2026-01-01T00:00:00.000Z")
        case "created_by_id", "updated_by_id": .string("ingestor")
        default: .object(JSONObject())
        }
    }

    /// The incident document as the GET (and the list) show it.
    func document(of incident: FakeLedger.Incident) -> JSONObject {
        var document = incident.fields
        document["incident_id"] = .string(incident.id)
        document["display_id"] = .string(incident.displayID)
        return document
    }

    func get(_ id: String) -> FakeResponse {
        guard let incident = ledger.incident(id) else { return error(404, "Not found.") }
        guard variants.contains(.wrappedIncident) else { return .json(200, .object(document(of: incident))) }
        var options = JSONObject()
        for (field, list) in Self.lists { options[field] = Self.options(list) }
        return .json(
            200,
            .object(JSONObject([("incident", .object(document(of: incident))), ("options", .object(options))]))
        )
    }

    func put(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "JSON parse error.") }
        let wrapped = variants.contains(.wrappedIncident)
        let allowed = wrapped ? Self.documentFields.union(["comment", "temp_priority"]) : Self.documentFields
        if let unknown = body.keys.first(where: { !allowed.contains($0) }) {
            return error(400, "\(unknown) is not a field of an incident.")
        }
        guard let info = body["basic_info"]?.object, info["summary"]?.string?.isEmpty == false else {
            return wrapped
                ? statusError("basic_info.summary is required") : error(400, "basic_info.summary is required.")
        }
        for (field, list) in Self.lists {
            if let problem = checkOption(info, field, list, objects: wrapped) {
                return wrapped ? statusError("basic_info.\(problem)") : error(400, "basic_info.\(problem)")
            }
        }
        guard let old = ledger.incident(id) else { return error(404, "Not found.") }
        let oldPriority = old.fields["basic_info"]?["priority"]?["id"]?.int64
        if wrapped, let newPriority = info["priority"]?["id"]?.int64, newPriority != oldPriority, body["comment"] == nil
        {
            return statusError("a priority change needs a comment")
        }
        let updated = ledger.modify(id) { incident in
            let status = info["status"]?.string ?? info["status"]?["name"]?.string
            let resolving = status == "Resolved"
            incident.calls.append(resolving && !incident.isResolved ? "resolve" : "update")
            incident.isResolved = resolving
            // The whole document is replaced: what the PUT leaves out is gone.
            var document = body
            for key in ["incident_id", "display_id", "comment", "temp_priority"] { document[key] = nil }
            incident.fields = document
        }
        guard let updated else { return error(404, "Not found.") }
        if wrapped {
            return .json(200, .object(JSONObject([("status", .string("success")), ("msg", .string("Updated"))])))
        }
        return .json(200, .object(document(of: updated)))
    }

    func inciResolve(_ request: FakeRequest) -> FakeResponse {
        if variants.contains(.noInciResolve) {
            return .json(405, .object(JSONObject([("detail", .string("Method \"POST\" not allowed."))])))
        }
        guard let body = request.jsonObject else { return error(400, "JSON parse error.") }
        if let unknown = body.keys.first(where: { !Self.documentFields.union(["closure_note"]).contains($0) }) {
            return error(400, "\(unknown) is not a field of an incident.")
        }
        guard let id = body["incident_id"]?.string else { return error(400, "incident_id is required.") }
        let updated = ledger.modify(id) { incident in
            if !incident.isResolved { incident.calls.append("resolve") }
            incident.isResolved = true
            var info = incident.fields["basic_info"]?.object ?? JSONObject()
            if variants.contains(.wrappedIncident) {
                info["status"] = Self.option(Self.statuses[3])
            } else {
                info["status"] = .string("Resolved")
                info["status_id"] = .number("4")
            }
            incident.fields["basic_info"] = .object(info)
        }
        guard let updated else { return error(404, "Not found.") }
        return .json(200, .object(document(of: updated)))
    }

    func note(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject, let id = body["ref_id"]?.string else {
            return error(400, "ref_id is required.")
        }
        guard let content = body["rich_text_content"]?.object, let text = content["description"]?.string,
            !text.isEmpty
        else { return error(400, "rich_text_content.description is required.") }
        guard ["Add Notes", "Priority Change"].contains(content["type"]?.string ?? "") else {
            return error(400, "rich_text_content.type is not valid.")
        }
        let updated = ledger.modify(id) { incident in
            incident.calls.append("comment")
            incident.notes.append(text)
        }
        guard let updated else { return error(404, "Not found.") }
        return .json(200, .object(document(of: updated)))
    }
}

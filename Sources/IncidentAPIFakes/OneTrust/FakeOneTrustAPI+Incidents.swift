public import Normalizer

/// The incident endpoints, and what a person does in OneTrust's UI.
extension FakeOneTrustAPI {
    /// Sets the incident's jurisdictions (`countryCode`, optional `stateProvinceCode`) as a person would.
    public func setJurisdictions(incident id: String, _ codes: [(country: String, state: String?)]) {
        _ = ledger.modify(id) { incident in
            incident.fields["jurisdictions"] = .array(
                codes.map { code in
                    var item = JSONObject([("countryCode", .string(code.country))])
                    if let state = code.state { item["stateProvinceCode"] = .string(state) }
                    return .object(item)
                }
            )
        }
    }

    /// Sets a top-level field (`rootCause`, `deadline`, …) as a person would.
    public func setField(incident id: String, _ name: String, _ value: JSONValue) {
        _ = ledger.modify(id) { $0.fields[name] = value }
    }

    /// Adds `text` to the end of the description, as a person writing below ingestor's part would.
    public func appendToDescription(incident id: String, _ text: String) {
        _ = ledger.modify(id) { incident in
            incident.fields["description"] = .string((incident.fields["description"]?.string ?? "") + text)
        }
    }

    /// Sets a custom attribute as a person in the OneTrust UI would.
    public func setAttribute(incident id: String, _ name: String, _ value: String) {
        _ = ledger.modify(id) { incident in
            var attributes = incident.fields["attributeValues"]?.object ?? JSONObject()
            attributes[name] = .array([.object(JSONObject([("value", .string(value))]))])
            incident.fields["attributeValues"] = .object(attributes)
        }
    }

    func create(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "Malformed JSON") }
        if let problem = validate(body) { return problem }
        var fields = body
        fields["incidentStageName"] = .string(Self.stages[0])
        let incident = ledger.create(externalReference: nil, fields: fields) { number in
            let digits = String(number)
            return (
                "f7114aef-b6b6-42d6-9249-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits, digits
            )
        }
        return .json(201, .string(incident.id))
    }

    func get(_ id: String) -> FakeResponse {
        guard let incident = ledger.incident(id) else { return error(404, "Incident not found") }
        return .json(200, details(incident))
    }

    func replace(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "Malformed JSON") }
        if let problem = validate(body) { return problem }
        let updated = ledger.modify(id) { incident in
            let stage = incident.fields["incidentStageName"]
            var fields = body
            // A replacement: every attribute the tenant has but the request left out is emptied.
            var attributes = body["attributeValues"]?.object ?? JSONObject()
            for name in Self.attributes.keys.sorted() where attributes[name] == nil {
                if incident.fields["attributeValues"]?[name] != nil { attributes[name] = .array([]) }
            }
            fields["attributeValues"] = .object(attributes)
            fields["incidentStageName"] = stage
            let oldDescription = incident.fields["description"]?.string ?? ""
            let newDescription = body["description"]?.string ?? ""
            let appended = newDescription.hasPrefix(oldDescription) && newDescription.count > oldDescription.count
            incident.calls.append(appended && body["name"] == incident.fields["name"] ? "comment" : "update")
            incident.fields = fields
        }
        guard let updated else { return error(404, "Incident not found") }
        // 200 with IncidentInformation: the incident as it now is, jurisdictions included.
        return .json(200, details(updated))
    }

    func stage(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let name = request.jsonObject?["nextStageName"]?.string else {
            return error(400, "nextStageName is required")
        }
        guard Self.stages.contains(name) else { return error(400, "Stage \(name) is not in the workflow") }
        let updated = ledger.modify(id) { incident in
            incident.fields["incidentStageName"] = .string(name)
            let closing = name == Self.stages.last
            if closing && !incident.isResolved {
                incident.calls.append("resolve")
            } else if !closing {
                incident.calls.append("stage")
            }
            incident.isResolved = closing
        }
        guard updated != nil else { return error(404, "Incident not found") }
        return .json(200, .object(JSONObject([("id", .string("stage-\(name)")), ("name", .string(name))])))
    }

    func search(_ request: FakeRequest) -> FakeResponse {
        let text = request.jsonObject?["fullText"]?.string ?? ""
        guard let size = Int(request.query["size"] ?? "20"), (1...2000).contains(size) else {
            return error(400, "size must be between 1 and 2000")
        }
        let sort = request.query["sort"]
        if let sort, !["createdDate,asc", "createdDate,desc", "name,asc", "name,desc"].contains(sort) {
            return error(400, "sort \(sort) is not supported")
        }
        let ordered = sort == "createdDate,desc" ? Array(ledger.incidents.reversed()) : ledger.incidents
        let page = Int(request.query["page"] ?? "0") ?? 0
        let matching = ordered.filter { incident in
            text.isEmpty || (incident.fields["name"]?.string ?? "").contains(text)
                || (incident.fields["description"]?.string ?? "").contains(text)
        }
        return .json(
            200,
            .array(
                matching.dropFirst(page * size).prefix(size).map { incident in
                    .object(
                        JSONObject([
                            ("incidentId", .string(incident.id)), ("number", .number(incident.displayID)),
                            ("name", incident.fields["name"] ?? .null),
                            ("description", incident.fields["description"] ?? .null),
                            ("incidentStageName", incident.fields["incidentStageName"] ?? .null),
                            ("incidentStatus", .string(incident.isResolved ? "CLOSED" : "OPEN")),
                        ])
                    )
                }
            )
        )
    }

    func details(_ incident: FakeLedger.Incident) -> JSONValue {
        var object = incident.fields
        object["id"] = .string(incident.id)
        object["number"] = .number(incident.displayID)
        object["incidentStatus"] = .string(incident.isResolved ? "CLOSED" : "OPEN")
        object["sourceType"] = incident.fields["sourceType"] ?? .string("NONE")
        // OneTrust returns options with their ids.
        var attributes = JSONObject()
        for (name, values) in incident.fields["attributeValues"]?.object?.members ?? [] {
            attributes[name] = .array(
                (values.array ?? []).map { value in
                    var item = JSONObject()
                    if Self.attributes[name] != nil, Self.attributes[name]! != nil, let text = value["value"]?.string {
                        item["id"] = .string("opt-\(text)")
                    }
                    if let text = value["value"]?.string { item["value"] = .string(text) }
                    item["disabled"] = .bool(false)
                    return .object(item)
                }
            )
        }
        object["attributeValues"] = .object(attributes)
        object["incidentAssigneeInformation"] = .array(
            (incident.fields["incidentAssigneeRequests"]?.array ?? []).map { request in
                .object(
                    JSONObject([
                        ("assigneeId", request["assigneeId"] ?? .null), ("type", request["type"] ?? .string("USER")),
                        ("assigneeName", .string("Assignee")),
                    ])
                )
            }
        )
        object["incidentAssigneeRequests"] = nil
        object["jurisdictions"] = .array(
            (incident.fields["jurisdictions"]?.array ?? []).enumerated().map { index, item in
                var guidance = item.object ?? JSONObject()
                guidance["jurisdictionId"] =
                    item["jurisdictionId"]
                    ?? .string("6a0e0c1d-0000-4000-8000-\(String(100_000_000_000 + index).dropFirst())")
                guidance["numberOfGuidances"] = .number("0")
                return .object(guidance)
            }
        )
        return .object(object)
    }
}

import Normalizer

/// ServiceOps 8.x's request API, served with ``FakeMotadataAPI/Variant/requestAPI``.
extension FakeMotadataAPI {
    func requestRoute(_ request: FakeRequest, _ path: [String]) -> FakeResponse {
        switch (request.method, path) {
        case ("POST", ["api", "v1", "request"]): return createRequest(request)
        case ("PATCH", let path) where path.count == 4: return updateRequest(id: path[3], request)
        case ("GET", let path) where path.count == 4: return get(path[3], legacy: false)
        case ("POST", let path) where path.count == 5 && path[4] == "conversation":
            return conversation(id: path[3], request)
        default: return error(404, "no route \(request.method) \(request.path)")
        }
    }

    func validateRequest(_ body: JSONObject, creating: Bool) -> FakeResponse? {
        if creating || body["subject"] != nil {
            guard let subject = body["subject"]?.string, !subject.isEmpty else {
                return error(400, "Subject is required")
            }
        }
        if creating {
            guard let requester = body["requesterEmail"]?.string else {
                return error(400, "requesterEmail is required")
            }
            guard requesters.contains(requester) else { return error(400, "Requester \(requester) does not exist") }
        }
        for (field, allowed) in [
            ("priorityName", Self.names), ("urgencyName", Self.names), ("impactName", Self.impacts),
            ("statusName", Self.statuses),
        ] {
            if let value = body[field] {
                guard let text = value.string, allowed.contains(text) else {
                    return error(
                        400,
                        "\(field) \(value.scalarText ?? "?") is not one of \(allowed.joined(separator: ", "))"
                    )
                }
            }
        }
        if let tags = body["tags"], tags.array?.allSatisfy({ $0.string != nil }) != true {
            return error(400, "tags must be a list of strings")
        }
        return nil
    }

    func createRequest(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "the body is not JSON") }
        if let problem = validateRequest(body, creating: true) { return problem }
        var fields = body
        fields["statusName"] = .string("Open")
        let reference = body["customField"]?.object?.members.first?.value.string
        let incident = ledger.create(externalReference: reference, fields: fields) { number in
            (String(number + 40), "INC-\(number + 40)")
        }
        return .json(200, render(incident, legacy: false))
    }

    func updateRequest(id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "the body is not JSON") }
        // The docs mark `subject` compulsory even on PATCH.
        guard body["subject"] != nil else { return error(400, "Subject is required") }
        if let problem = validateRequest(body, creating: false) { return problem }
        let updated = ledger.modify(id) { incident in
            for (key, value) in body.members { incident.fields[key] = value }
            let resolving = ["Resolved", "Closed"].contains(body["statusName"]?.string ?? "")
            let reopening = body["statusName"] != nil && !resolving && incident.isResolved
            incident.calls.append(resolving && !incident.isResolved ? "resolve" : reopening ? "reopen" : "update")
            if body["statusName"] != nil { incident.isResolved = resolving }
        }
        guard let updated else { return error(404, "Request \(id) not found") }
        return .json(200, render(updated, legacy: false))
    }

    func conversation(id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "the body is not JSON") }
        guard let type = body["conversationType"]?.string, Self.conversationTypes.contains(type) else {
            return error(400, "conversationType must be one of \(Self.conversationTypes.joined(separator: ", "))")
        }
        guard let details = body["details"]?.string, !details.isEmpty else { return error(400, "details is required") }
        let updated = ledger.modify(id) { incident in
            incident.calls.append("comment")
            incident.notes.append(details)
        }
        guard let updated else { return error(404, "Request \(id) not found") }
        return .json(
            200,
            .object(
                JSONObject([
                    ("id", .number(String(updated.notes.count))),
                    ("conversationType", .string(type)), ("details", .string(details)),
                ])
            )
        )
    }
}

import Normalizer
import Synchronization

/// A fake of DevRev's incidents API that checks what DevRev's "Update Incident" reference (the seed document) and
/// its OpenAPI spec say the real one checks: `Authorization: Bearer <token>`, JSON bodies, `title` required on
/// create, known fields only, integer severities from the tenant's list, stage DONs that exist, ids that exist,
/// tags as `[{tag_id}]` on create and `{set: […]}` on update (which replaces the incident's tags); errors in
/// DevRev's `{"type","message"}` shape. Incidents are answered with `tags` as `[{tag: {id, name}}]`.
public struct FakeDevRevAPI: FakeVendorAPI {
    /// The stage DONs the fake tenant has, by name.
    public static let stages: [String: String] = [
        "triage": "don:core:dvrv-us-1:devo/fake:custom_stage/1",
        "acknowledged": "don:core:dvrv-us-1:devo/fake:custom_stage/2",
        "mitigated": "don:core:dvrv-us-1:devo/fake:custom_stage/3",
        "resolved": "don:core:dvrv-us-1:devo/fake:custom_stage/4",
    ]
    /// Severity ids the fake tenant accepts, with their labels.
    public static let severities: [Int: String] = [1: "sev-0", 2: "sev-1", 3: "sev-2", 4: "sev-3"]

    static let createFields: Set<String> = [
        "acknowledged_date", "applies_to_parts", "artifacts", "body", "custom_fields", "custom_schema_spec",
        "external_source_data", "identified_date", "impact", "mitigated_date", "owned_by", "pia", "playbooks",
        "related_docs", "reported_by", "severity", "source", "stage", "stage_validation_options", "staged_info",
        "sync_metadata", "tags", "target_close_date", "title",
    ]
    static let updateFields: Set<String> = createFields.union(["id"])
    static let dateFields = ["acknowledged_date", "identified_date", "mitigated_date", "target_close_date"]

    public let ledger: FakeLedger
    private let token: String
    let tags = TagTable()

    /// Creates the fake; requests must carry `Authorization: Bearer <token>`.
    public init(token: String, ledger: FakeLedger = FakeLedger()) {
        self.token = token
        self.ledger = ledger
    }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        guard request.headers["authorization"] == "Bearer \(token)" else {
            return error(401, "unauthenticated", "missing or invalid bearer token")
        }
        if request.method == "POST", !request.declares(["application/json"]) {
            return error(400, "bad_request", "the body must be application/json")
        }
        switch (request.method, request.path) {
        case ("POST", "/incidents.create"): return create(request)
        case ("POST", "/incidents.update"): return update(request)
        case ("GET", "/incidents.get"): return get(id: request.query["id"])
        case ("POST", "/incidents.get"): return get(id: request.jsonObject?["id"]?.string)
        case ("GET", "/incidents.list"):
            return list(externalReference: request.query["sync_metadata.external_reference"])
        case ("POST", "/timeline-entries.create"): return comment(request)
        case ("GET", "/tags.list"): return listTags(name: request.query["name"])
        case ("POST", "/tags.create"): return createTag(request)
        default: return error(404, "not_found", "no route \(request.method) \(request.path)")
        }
    }

    public func serverError() -> FakeResponse {
        .json(
            500,
            .object(
                JSONObject([
                    ("type", .string("internal_error")), ("message", .string("injected failure")),
                    ("reference_id", .string("fake-ref")),
                ])
            )
        )
    }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        .json(
            429,
            .object(
                JSONObject([
                    ("type", .string("too_many_requests")), ("message", .string("rate limited")),
                    ("retry_after", .number(String(seconds))),
                ])
            ),
            headers: ["Retry-After": String(seconds)]
        )
    }

    func error(_ status: Int, _ type: String, _ message: String) -> FakeResponse {
        .json(status, .object(JSONObject([("type", .string(type)), ("message", .string(message))])))
    }

    /// Checks the fields both create and update accept; returns an error response or `nil`.
    private func validate(_ body: JSONObject, allowed: Set<String>) -> FakeResponse? {
        if let unknown = body.keys.first(where: { !allowed.contains($0) }) {
            return error(400, "invalid_field", "unknown field \(unknown)")
        }
        if let title = body["title"], title.string?.isEmpty != false {
            return error(400, "invalid_field", "title must be a non-empty string")
        }
        if let body = body["body"], body.string == nil {
            return error(400, "unexpected_json_type", "body must be a string")
        }
        if let severity = body["severity"] {
            guard let value = severity.int64 else {
                return error(400, "unexpected_json_type", "severity must be an integer")
            }
            guard Self.severities[Int(value)] != nil else {
                return error(400, "invalid_enum_value", "severity \(value) is not one of 1, 2, 3, 4")
            }
        }
        for field in Self.dateFields {
            if let value = body[field], value.string.flatMap(Timestamp.init(rfc3339:)) == nil {
                return error(400, "invalid_field", "\(field) must be an RFC 3339 date-time")
            }
        }
        if let stage = body["stage"] {
            guard let object = stage.object, object.keys.allSatisfy({ ["stage", "notes"].contains($0) }) else {
                return error(400, "invalid_field", "stage takes only stage and notes")
            }
            if let don = object["stage"] {
                guard let id = don.string, Self.stages.values.contains(id) else {
                    return error(400, "invalid_id", "unknown stage \(don.scalarText ?? "?")")
                }
            }
        }
        if let custom = body["custom_fields"] {
            guard body["custom_schema_spec"] != nil else {
                return error(400, "bad_request", "custom_fields need custom_schema_spec")
            }
            guard let fields = custom.object, fields.keys.allSatisfy({ $0.hasPrefix("tnt__") }) else {
                return error(400, "invalid_field", "tenant custom fields are named tnt__…")
            }
        }
        if let tags = body["tags"] {
            let items = tags.array ?? tags["set"]?.array
            guard let items else {
                return error(400, "unexpected_json_type", "tags must be a list (or {set: [...]} on update)")
            }
            let known = Set(self.tags.state.withLock { Array($0.values) })
            for item in items {
                guard let id = item["tag_id"]?.string, known.contains(id) else {
                    return error(400, "invalid_id", "unknown tag \(item["tag_id"]?.scalarText ?? "?")")
                }
            }
        }
        if let sync = body["sync_metadata"] {
            guard let object = sync.object,
                object.members.allSatisfy({
                    ["external_reference", "origin_system"].contains($0.key) && $0.value.string != nil
                })
            else {
                return error(400, "invalid_field", "sync_metadata takes external_reference and origin_system strings")
            }
        }
        return nil
    }

    private func create(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "parse_error", "the body is not a JSON object") }
        guard body["title"] != nil else { return error(400, "missing_required_field", "title is required") }
        if let problem = validate(body, allowed: Self.createFields) { return problem }
        if let stage = body["stage"], stage["stage"] == nil {
            return error(400, "missing_required_field", "stage.stage is required")
        }
        var fields = body
        fields["tags"] = .array((body["tags"]?.array ?? []).compactMap { $0["tag_id"] })
        if fields["stage"] == nil {
            fields["stage"] = .object(JSONObject([("stage", .string(Self.stages["triage"]!))]))
        }
        if fields["severity"] == nil { fields["severity"] = .number("3") }
        let incident = ledger.create(
            externalReference: body["sync_metadata"]?["external_reference"]?.string,
            fields: fields
        ) { number in
            ("don:core:dvrv-us-1:devo/fake:incident/\(number)", "INC-\(number)")
        }
        return .json(201, .object(JSONObject([("incident", render(incident))])))
    }

    private func update(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "parse_error", "the body is not a JSON object") }
        guard let id = body["id"]?.string else { return error(400, "missing_required_field", "id is required") }
        if let problem = validate(body, allowed: Self.updateFields) { return problem }
        let resolvedDON = Self.stages["resolved"]!
        let updated = ledger.modify(id) { incident in
            var operation = "update"
            for (key, value) in body.members where key != "id" {
                // Array fields are set as a whole: `{set: […]}` replaces them.
                if let set = value["set"]?.array {
                    incident.fields[key] = .array(key == "tags" ? set.compactMap { $0["tag_id"] } : set)
                } else {
                    incident.fields[key] = value
                }
            }
            if let don = body["stage"]?["stage"]?.string {
                let resolving = don == resolvedDON
                if resolving && !incident.isResolved { operation = "resolve" }
                if !resolving && incident.isResolved { operation = "reopen" }
                incident.isResolved = resolving
            }
            incident.calls.append(operation)
        }
        guard let updated else { return error(404, "not_found", "no incident \(id)") }
        return .json(200, .object(JSONObject([("incident", render(updated))])))
    }

    private func get(id: String?) -> FakeResponse {
        guard let id else { return error(400, "missing_required_field", "id is required") }
        guard let incident = ledger.incident(id) else { return error(404, "not_found", "no incident \(id)") }
        return .json(200, .object(JSONObject([("incident", render(incident))])))
    }

    private func list(externalReference: String?) -> FakeResponse {
        let matching = ledger.incidents.filter { externalReference == nil || $0.externalReference == externalReference }
        return .json(200, .object(JSONObject([("incidents", .array(matching.map(render)))])))
    }

    private func comment(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else { return error(400, "parse_error", "the body is not a JSON object") }
        guard body["type"]?.string == "timeline_comment" else {
            return error(400, "invalid_enum_value", "type must be timeline_comment")
        }
        guard let object = body["object"]?.string else {
            return error(400, "missing_required_field", "object is required")
        }
        let allowed: Set<String> = [
            "type", "object", "body", "body_type", "external_ref", "visibility", "labels", "artifacts", "private_to",
            "expires_at", "collections",
        ]
        if let unknown = body.keys.first(where: { !allowed.contains($0) }) {
            return error(400, "invalid_field", "unknown field \(unknown)")
        }
        guard let incident = ledger.incident(object) else { return error(404, "not_found", "no incident \(object)") }
        if let reference = body["external_ref"]?.string {
            guard (1...512).contains(reference.count) else {
                return error(400, "invalid_field", "external_ref must be 1 to 512 characters")
            }
            let used = incident.fields["timeline_external_refs"]?.array?.contains(.string(reference)) ?? false
            if used { return error(409, "conflict", "external_ref \(reference) is already used in this timeline") }
        }
        _ = ledger.modify(object) { incident in
            incident.calls.append("comment")
            incident.notes.append(body["body"]?.string ?? "")
            if let reference = body["external_ref"]?.string {
                var used = incident.fields["timeline_external_refs"]?.array ?? []
                used.append(.string(reference))
                incident.fields["timeline_external_refs"] = .array(used)
            }
        }
        return .json(
            201,
            .object(
                JSONObject([
                    (
                        "timeline_entry",
                        .object(
                            JSONObject([
                                ("id", .string("don:core:dvrv-us-1:devo/fake:comment/\(ledger.requests.count + 1)"))
                            ])
                        )
                    )
                ])
            )
        )
    }
}

/// The fake tenant's tags, by name; a class so the fake stays a copyable value.
final class TagTable: Sendable {
    let state = Mutex<[String: String]>([:])
}

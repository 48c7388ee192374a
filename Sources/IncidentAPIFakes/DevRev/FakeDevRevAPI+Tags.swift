import Normalizer
import Synchronization

/// Tags, incidents as DevRev answers them, and what a person does in DevRev's own UI.
extension FakeDevRevAPI {
    /// Adds the tag named `name` (creating it) to the incident, as a person would.
    public func addTag(incident id: String, _ name: String) {
        let tagID: String = tags.state.withLock { tags in
            if let known = tags[name] { return known }
            let created = "don:core:dvrv-us-1:devo/fake:tag/\(tags.count + 1)"
            tags[name] = created
            return created
        }
        _ = ledger.modify(id) { incident in
            incident.fields["tags"] = .array((incident.fields["tags"]?.array ?? []) + [.string(tagID)])
        }
    }

    /// Sets the incident's owners (dev user ids), as a person would.
    public func setOwners(incident id: String, _ owners: [String]) {
        _ = ledger.modify(id) { $0.fields["owned_by"] = .array(owners.map(JSONValue.string)) }
    }

    func listTags(name: String?) -> FakeResponse {
        let matching = tags.state.withLock { tags in
            tags.filter { name == nil || $0.key == name }.sorted { $0.key < $1.key }
        }
        return .json(
            200,
            .object(
                JSONObject([
                    (
                        "tags",
                        .array(
                            matching.map {
                                .object(JSONObject([("id", .string($0.value)), ("name", .string($0.key))]))
                            }
                        )
                    )
                ])
            )
        )
    }

    func createTag(_ request: FakeRequest) -> FakeResponse {
        guard let name = request.jsonObject?["name"]?.string, !name.isEmpty else {
            return error(400, "missing_required_field", "name is required")
        }
        let created: String? = tags.state.withLock { tags in
            guard tags[name] == nil else { return nil }
            let id = "don:core:dvrv-us-1:devo/fake:tag/\(tags.count + 1)"
            tags[name] = id
            return id
        }
        guard let created else { return error(409, "conflict", "a tag named \(name) exists") }
        return .json(
            201,
            .object(JSONObject([("tag", .object(JSONObject([("id", .string(created)), ("name", .string(name))])))]))
        )
    }

    /// Tags the fake tenant has, by name.
    public var tagNames: [String] { tags.state.withLock { $0.keys.sorted() } }

    func render(_ incident: FakeLedger.Incident) -> JSONValue {
        var object = JSONObject()
        object["id"] = .string(incident.id)
        object["display_id"] = .string(incident.displayID)
        object["title"] = incident.fields["title"] ?? .string("")
        object["body"] = incident.fields["body"] ?? .string("")
        if let severity = incident.fields["severity"]?.int64 {
            object["severity"] = .object(
                JSONObject([
                    ("id", .number(String(severity))), ("label", .string(Self.severities[Int(severity)] ?? "?")),
                ])
            )
        }
        if let don = incident.fields["stage"]?["stage"]?.string {
            let name = Self.stages.first { $0.value == don }?.key ?? "?"
            // DevRev's `stage` schema: the custom stage and the state it belongs to; the fake tenant's resolved stage
            // is its only final one.
            let isFinal = don == Self.stages["resolved"]
            let state = JSONObject([
                ("id", .string("don:core:dvrv-us-1:devo/fake:custom_state/\(isFinal ? 2 : 1)")),
                ("name", .string(isFinal ? "closed" : "open")), ("is_final", .bool(isFinal)),
            ])
            object["stage"] = .object(
                JSONObject([
                    ("stage", .object(JSONObject([("id", .string(don)), ("name", .string(name))]))),
                    ("state", .object(state)),
                ])
            )
        }
        if let sync = incident.fields["sync_metadata"] { object["sync_metadata"] = sync }
        let names = tags.state.withLock { tags in
            Dictionary(tags.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        }
        object["tags"] = .array(
            (incident.fields["tags"]?.array ?? []).compactMap { $0.string }.map { id in
                .object(
                    JSONObject([
                        ("tag", .object(JSONObject([("id", .string(id)), ("name", .string(names[id] ?? ""))])))
                    ])
                )
            }
        )
        if let owners = incident.fields["owned_by"] { object["owned_by"] = owners }
        return .object(object)
    }
}

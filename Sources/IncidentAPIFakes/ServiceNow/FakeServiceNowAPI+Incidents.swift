import Normalizer

/// The `incident` table's endpoints.
extension FakeServiceNowAPI {
    /// Sets a field as a person in the instance would (e.g. `assigned_to`).
    public func setField(incident id: String, _ name: String, _ value: String) {
        _ = ledger.modify(id) { $0.fields[name] = .string(value) }
    }

    func create(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else {
            return error(400, "Exception while reading request", "Malformed JSON")
        }
        var fields = JSONObject([("state", .string("1")), ("urgency", .string("3")), ("impact", .string("3"))])
        var journal: [String] = []
        if let refusal = apply(body, to: &fields, journal: &journal) { return refusal }
        let incident = ledger.create(externalReference: fields["correlation_id"]?.string, fields: fields) { number in
            let hex = String(number, radix: 16)
            return (
                "9d385017c611228701d22104cc95c" + String(repeating: "0", count: max(0, 3 - hex.count)) + hex,
                "INC" + String(10_000 + number).leftPadded(to: 7)
            )
        }
        _ = ledger.modify(incident.id) { stored in
            stored.fields["number"] = .string(incident.displayID)
            stored.fields["sys_created_on"] = .string("2026-11-24 08:00:00")
            stored.notes += journal
        }
        var response = FakeResponse.json(201, .object(JSONObject([("result", record(incident.id))])))
        response.headers["Location"] = "/api/now/table/incident/\(incident.id)"
        return response
    }

    func get(_ id: String) -> FakeResponse {
        guard ledger.incident(id) != nil else { return notFound() }
        return .json(200, .object(JSONObject([("result", record(id))])))
    }

    func patch(_ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = request.jsonObject else {
            return error(400, "Exception while reading request", "Malformed JSON")
        }
        guard var fields = ledger.incident(id)?.fields else { return notFound() }
        var journal: [String] = []
        if let refusal = apply(body, to: &fields, journal: &journal) { return refusal }
        _ = ledger.modify(id) { incident in
            let state = fields["state"]?.string
            let call =
                state != incident.fields["state"]?.string && ["6", "7"].contains(state ?? "")
                ? "resolve" : body.keys.allSatisfy { ["work_notes", "comments"].contains($0) } ? "comment" : "update"
            incident.calls.append(call)
            incident.fields = fields
            incident.isResolved = ["6", "7"].contains(state ?? "")
            incident.notes += journal
        }
        return .json(200, .object(JSONObject([("result", record(id))])))
    }

    /// `GET …?sysparm_query=…&sysparm_limit=…&sysparm_fields=…`: `field=value` terms joined by `^`, `active=true`,
    /// and `ORDERBY`/`ORDERBYDESC`. As on an instance, a term on a field the table does not have is ignored.
    func query(_ request: FakeRequest) -> FakeResponse {
        var matches = ledger.incidents
        var descending = false
        for term in (request.query["sysparm_query"] ?? "").split(separator: "^").map(String.init) {
            if term.hasPrefix("ORDERBYDESC") {
                descending = true
                continue
            }
            if term.hasPrefix("ORDERBY") { continue }
            let pair = term.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "active" {
                matches = matches.filter { Self.isActive($0.fields) == (pair[1] == "true") }
            } else if Self.fields.contains(pair[0]) || ["number", "sys_id"].contains(pair[0]) {
                matches = matches.filter { (pair[0] == "sys_id" ? $0.id : $0.fields[pair[0]]?.string) == pair[1] }
            }
        }
        if descending { matches.reverse() }
        if let limit = request.query["sysparm_limit"].flatMap(Int.init) { matches = Array(matches.prefix(limit)) }
        let wanted = request.query["sysparm_fields"].map { Set($0.split(separator: ",").map(String.init)) }
        let rows: [JSONValue] = matches.map { incident in
            guard let wanted, case .object(let full) = record(incident.id) else { return record(incident.id) }
            return .object(JSONObject(full.keys.filter(wanted.contains).map { ($0, full[$0]!) }))
        }
        return .json(200, .object(JSONObject([("result", .array(rows))])))
    }

    /// Applies a body's fields to a record: known fields kept (strings), journal fields appended, the data policy
    /// checked. Returns the refusal, or `nil`.
    private func apply(_ body: JSONObject, to fields: inout JSONObject, journal: inout [String]) -> FakeResponse? {
        for key in body.keys {
            guard let value = body[key]?.scalarText else { continue }
            if ["work_notes", "comments"].contains(key) {
                if !value.isEmpty { journal.append(value) }
            } else if key == "correlation_id" {
                fields[key] = .string(String(value.prefix(100)))
            } else if Self.fields.contains(key) {
                fields[key] = .string(value)
            }
        }
        let urgency = Int(fields["urgency"]?.string ?? "") ?? 3
        let impact = Int(fields["impact"]?.string ?? "") ?? 3
        fields["priority"] = .string(String(min(5, max(1, urgency + impact - 1))))
        if ["6", "7"].contains(fields["state"]?.string ?? "") {
            let missing = [("close_code", "Resolution code"), ("close_notes", "Resolution notes")].filter {
                (fields[$0.0]?.string ?? "").isEmpty
            }
            if !missing.isEmpty {
                return error(
                    403,
                    "Operation Failed",
                    "Data Policy Exception: \n\tThe following fields are mandatory: "
                        + missing.map(\.1).joined(separator: ", ") + "\n"
                )
            }
            if let code = fields["close_code"]?.string, !Self.closeCodes.contains(code) {
                return error(403, "Operation Failed", "Invalid choice \(code) for Resolution code")
            }
        }
        return nil
    }

    private func record(_ id: String) -> JSONValue {
        guard let incident = ledger.incident(id) else { return .null }
        var result = incident.fields
        result["sys_id"] = .string(id)
        result["active"] = .string(Self.isActive(incident.fields) ? "true" : "false")
        result["work_notes"] = .string("")
        result["comments"] = .string("")
        return .object(result)
    }

    private func notFound() -> FakeResponse {
        error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
    }

    /// Closed (7) and Canceled (8) incidents are inactive; Resolved (6) ones stay active until they close.
    static func isActive(_ fields: JSONObject) -> Bool { !["7", "8"].contains(fields["state"]?.string ?? "1") }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

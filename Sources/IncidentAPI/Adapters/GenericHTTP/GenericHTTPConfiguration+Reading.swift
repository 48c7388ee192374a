import Normalizer

/// `target.http.*`.
extension GenericHTTPConfiguration: TargetSettings {
    package var targetName: String { name }

    package static func read(_ reader: any ConfigurationReader) -> GenericHTTPConfiguration? {
        let baseURL = reader.baseURL(required: true, hint: "the API's base URL; operation paths are appended")
        let authentication = reader.authentication(
            allowed: ["none", "bearer", "header", "basic", "oauth2_client_credentials", "oauth2_password"],
            defaultTokenURL: nil
        )
        var configuration = GenericHTTPConfiguration(baseURL: "", authentication: .none, operations: [:])
        configuration.name = reader.string("name") ?? configuration.name
        for action in IncidentCommand.Action.allCases {
            let operation = reader.nested(action.rawValue)
            if operation.isPresent {
                configuration.operations[action] = readOperation(operation, needsID: action == .create)
            } else if action == .create {
                reader.problem("create", nil, "is required: {method, path, body, id_pointer}")
            }
            operation.finish()
        }
        let lookup = reader.nested("lookup")
        if lookup.isPresent { configuration.lookup = readOperation(lookup, needsID: true) }
        lookup.finish()
        configuration.severityValues.merge(reader.severityMap("severity_values")) { $1 }
        for (word, value) in reader.stringMap("status_values") {
            guard let status = AlertStatus(rawValue: word) else {
                reader.problem("status_values.\(word)", nil, "is not a status: firing, acknowledged or resolved")
                continue
            }
            configuration.statusValues[status] = value
        }
        configuration.requestTimeout = reader.requestTimeout(default: configuration.requestTimeout)
        guard let baseURL, let authentication, configuration.operations[.create] != nil else { return nil }
        configuration.baseURL = baseURL
        configuration.authentication = authentication
        return configuration
    }

    /// One operation: `method`, `path`, `headers`, `body` (a JSON document, usually a YAML block), `id_pointer`.
    static func readOperation(_ reader: any ConfigurationReader, needsID: Bool) -> Operation? {
        let method = reader.choice("method", default: "POST", from: ["get", "post", "put", "patch", "delete"])
        let path = reader.requiredString("path", hint: "appended to base_url; may hold {{placeholders}}")
        let headers = reader.stringMap("headers")
        var body: JSONValue?
        if let text = reader.string("body") {
            do {
                body = try JSONParser().parse(Array(text.utf8))
            } catch {
                reader.problem(
                    "body",
                    nil,
                    "must be a JSON document (placeholders go inside strings): \(error.message)"
                )
            }
        }
        var pointer: JSONPointer?
        if let text = reader.string("id_pointer") {
            pointer = JSONPointer(text)
            if pointer == nil { reader.problem("id_pointer", text, "must be a JSON pointer such as /data/id") }
        } else if needsID {
            reader.problem("id_pointer", nil, "is required: where the incident id is in the answer, e.g. /id")
        }
        var unknown =
            (path.map(RequestTemplate.unknownPlaceholders(in:)) ?? [])
            + headers.values.flatMap(RequestTemplate.unknownPlaceholders(in:))
        if let body { unknown += RequestTemplate.unknownPlaceholders(in: body) }
        for name in Set(unknown).sorted() {
            reader.problem(
                "{{\(name)}}",
                nil,
                "is not a placeholder; known: \(RequestTemplate.variables.joined(separator: ", "))"
            )
        }
        guard let path else { return nil }
        return Operation(
            method: method,
            path: path,
            headers: headers.sorted { $0.key < $1.key }.map { HTTPHeader($0.key, $0.value) },
            body: body,
            idPointer: pointer
        )
    }
}

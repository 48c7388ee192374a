public import Logging
public import Normalizer

/// Builds Motadata ServiceOps requests (CONTRACTS.md §2.2, §2.3). Pure.
///
/// A command may need more than one call: a resolve on the request API is a PATCH of `statusName` and then a
/// conversation note with the resolution.
public struct MotadataRequestBuilder: Sendable {
    /// The settings.
    public var configuration: MotadataConfiguration

    /// Creates a builder.
    public init(configuration: MotadataConfiguration) {
        self.configuration = configuration
    }

    /// The calls for `command`, in order.
    public func requests(for command: IncidentCommand) throws(TargetFailure) -> [HTTPRequest] {
        let event = command.event
        let levels =
            configuration.levels[event.severity] ?? MotadataConfiguration.defaultLevels(configuration.api)[
                event.severity
            ]!
        switch configuration.api {
        case .request:
            switch command.action {
            case .create:
                var body = JSONObject()
                body["subject"] = .string(event.title)
                body["description"] = .string(Self.html(DevRevRequestBuilder.bodyText(for: event)))
                body["requesterEmail"] = .string(configuration.requesterEmail)
                if let category = configuration.categoryName { body["categoryName"] = .string(category) }
                body["priorityName"] = .string(levels.priority)
                body["urgencyName"] = .string(levels.urgency)
                body["impactName"] = .string(levels.impact)
                body["tags"] = .array((configuration.tags + ["source:\(event.source)"]).map(JSONValue.string))
                body["source"] = .string(configuration.source)
                var custom = JSONObject(customFields(event).map { ($0.0, JSONValue.string($0.1)) })
                if let field = configuration.dedupKeyField { custom[field] = .string(command.dedupKey) }
                if custom.count > 0 { body["customField"] = .object(custom) }
                return [post("/api/v1/request", body)]
            case .update, .reopen:
                var body = JSONObject()
                // The docs mark `subject` compulsory even on PATCH (CONTRACTS.md §2.3).
                body["subject"] = .string(event.title)
                body["description"] = .string(Self.html(DevRevRequestBuilder.bodyText(for: event)))
                body["priorityName"] = .string(levels.priority)
                body["urgencyName"] = .string(levels.urgency)
                body["impactName"] = .string(levels.impact)
                if event.status == .acknowledged { body["statusName"] = .string(configuration.acknowledgedStatus) }
                if command.action == .reopen { body["statusName"] = .string(configuration.openStatus) }
                return [request("PATCH", "/api/v1/request/\(try id(of: command))", body)]
            case .resolve:
                let id = try id(of: command)
                let patch = request(
                    "PATCH",
                    "/api/v1/request/\(id)",
                    JSONObject([
                        ("subject", .string(event.title)), ("statusName", .string(configuration.resolvedStatus)),
                    ])
                )
                return [patch, note(id: id, text: Self.resolutionNote(event))]
            case .comment:
                let text = event.description.isEmpty ? event.title : event.description
                return [note(id: try id(of: command), text: text)]
            }
        case .incident:
            switch command.action {
            case .create:
                var body = JSONObject()
                body["subject"] = .string(event.title)
                body["categoryName"] = .string(configuration.categoryName ?? "Incident")
                body["requesterEmail"] = .string(configuration.requesterEmail)
                body["description"] = .string(DevRevRequestBuilder.bodyText(for: event))
                body["priority"] = .string(levels.priority)
                body["urgency"] = .string(levels.urgency)
                body["impact"] = .string(levels.impact)
                body["tags"] = .array((configuration.tags + ["source:\(event.source)"]).map(JSONValue.string))
                // Type 1 = STRING (CONTRACTS.md §2.2).
                var details = JSONObject()
                for (field, value) in customFields(event) {
                    details[field] = .object(JSONObject([("type", .number("1")), ("stringValue", .string(value))]))
                }
                if let field = configuration.dedupKeyField {
                    details[field] = .object(
                        JSONObject([("type", .number("1")), ("stringValue", .string(command.dedupKey))])
                    )
                }
                if details.count > 0 { body["customFieldValueDetails"] = .object(details) }
                return [post("/api/v1/incident", body)]
            case .update, .reopen:
                var body = JSONObject()
                body["subject"] = .string(event.title)
                body["description"] = .string(DevRevRequestBuilder.bodyText(for: event))
                body["priority"] = .string(levels.priority)
                body["urgency"] = .string(levels.urgency)
                body["impact"] = .string(levels.impact)
                if event.status == .acknowledged { body["status"] = .string(configuration.acknowledgedStatus) }
                if command.action == .reopen { body["status"] = .string(configuration.openStatus) }
                // The legacy update is a POST, not PUT or PATCH (CONTRACTS.md §2.2).
                return [post("/api/v1/incident/\(try id(of: command))", body)]
            case .resolve:
                return [
                    post(
                        "/api/v1/incident/\(try id(of: command))",
                        JSONObject([("status", .string(configuration.resolvedStatus))])
                    )
                ]
            case .comment:
                throw TargetFailure(
                    .unsupported,
                    "the legacy Motadata incident API has no notes; use api: request for comments"
                )
            }
        }
    }

    /// (custom field, label value) for each configured label the event has, sorted by field.
    private func customFields(_ event: NormalizedEvent) -> [(String, String)] {
        configuration.labelFields.sorted { $0.key < $1.key }.compactMap { field, label in
            event.labels[label].map { (field, $0) }
        }
    }

    private func note(id: String, text: String) -> HTTPRequest {
        post(
            "/api/v1/request/\(id)/conversation",
            JSONObject([
                ("conversationType", .string("note")), ("details", .string(Self.html(text))),
                ("conversationState", .string("published")),
            ])
        )
    }

    private func post(_ path: String, _ body: JSONObject) -> HTTPRequest { request("POST", path, body) }

    private func request(_ method: String, _ path: String, _ body: JSONObject) -> HTTPRequest {
        HTTPRequest(
            method: method,
            url: configuration.baseURL + path,
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")],
            body: JSONWriter.bytes(.object(body)),
            timeout: configuration.requestTimeout
        )
    }

    private func id(of command: IncidentCommand) throws(TargetFailure) -> String {
        guard let id = command.externalID, !id.isEmpty else {
            throw TargetFailure(
                .unsupported,
                "\(command.action.rawValue) needs the incident id, and the command has none"
            )
        }
        return id
    }

    static func resolutionNote(_ event: NormalizedEvent) -> String {
        "Resolved at the source\(event.resolvedAt.map { " at \($0.rfc3339)" } ?? "") (\(event.source))."
    }

    /// Plain text as the HTML the request API's `description` and `details` take: escaped, line breaks kept.
    static func html(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n": out += "<br>"
            default: out.append(character)
            }
        }
        return out
    }
}

/// Reads Motadata answers. Pure.
public struct MotadataResponseClassifier: Sendable {
    private let http: HTTPStatusClassifier
    private let api: MotadataConfiguration.API

    /// Creates a classifier.
    public init(api: MotadataConfiguration.API, redactor: Redactor) {
        self.api = api
        http = HTTPStatusClassifier(redactor: redactor)
    }

    /// Classifies one call's answer; `isCreate` requires the new incident's id.
    public func classify(_ response: HTTPResponse, isCreate: Bool) -> TargetOutcome {
        let document = try? JSONParser().parse(response.body)
        guard (200..<300).contains(response.status) else {
            var outcome = http.classify(response)
            let detail = document?["userMessage"]?.string ?? document?["error_description"]?.string
            if let detail, var failure = outcome.failure {
                failure.message = "Motadata: \(http.redactor.redact(detail))"
                outcome = outcome.replacingFailure(failure)
            }
            return outcome
        }
        // The legacy envelope can say FAILURE with a 2xx (CONTRACTS.md §2.5, INFERRED).
        if api == .incident, let code = document?["returnCode"]?.string, code != "SUCCESS" {
            return .permanent(
                TargetFailure(
                    .rejected,
                    "Motadata returnCode \(code): \(http.redactor.redact(document?["userMessage"]?.string ?? "no message"))",
                    httpStatus: response.status
                )
            )
        }
        let id = document?["id"]?.scalarText
        if isCreate && (id ?? "").isEmpty {
            return .permanent(
                TargetFailure(
                    .invalidResponse,
                    "Motadata answered \(response.status) without id",
                    httpStatus: response.status
                )
            )
        }
        return .success(externalID: id, httpStatus: response.status)
    }
}

extension TargetOutcome {
    /// The same outcome with another failure description.
    func replacingFailure(_ failure: TargetFailure) -> TargetOutcome {
        switch self {
        case .success: self
        case .retryable(_, let hint): .retryable(failure, retryAfter: hint)
        case .authFailure: .authFailure(failure)
        case .permanent: .permanent(failure)
        }
    }
}

/// Motadata ServiceOps (`target.kind: motadata`).
public struct MotadataTarget: IncidentTarget {
    private let builder: MotadataRequestBuilder
    private let classifier: MotadataResponseClassifier
    private let client: AuthorizedClient
    private let logger: Logger

    /// Creates the target.
    public init(configuration: MotadataConfiguration, client: any HTTPClient, logger: Logger) {
        builder = MotadataRequestBuilder(configuration: configuration)
        let redactor = Redactor(secrets: configuration.authentication.secrets)
        classifier = MotadataResponseClassifier(api: configuration.api, redactor: redactor)
        self.client = AuthorizedClient(
            client: client,
            authentication: configuration.authentication,
            redactor: redactor,
            timeout: configuration.requestTimeout
        )
        var logger = logger
        logger[metadataKey: "incident.adapter"] = "motadata"
        self.logger = logger
    }

    public var name: String { "motadata" }

    /// Reopening sets `open_status` (default `Open`) with the event's fields.
    public var supportsReopen: Bool { true }

    public func execute(_ command: IncidentCommand) async -> TargetOutcome {
        let requests: [HTTPRequest]
        do {
            requests = try builder.requests(for: command)
        } catch {
            return .permanent(error)
        }
        var first: TargetOutcome?
        for (index, request) in requests.enumerated() {
            let outcome: TargetOutcome
            switch await client.send(request) {
            case .failure(let failure): outcome = failure.outcome
            case .success(let response):
                logger.debug(
                    "motadata \(command.action.rawValue) \(request.method) → \(response.status)",
                    metadata: ["incident.dedup_key": "\(command.dedupKey)"]
                )
                outcome = classifier.classify(response, isCreate: command.action == .create && index == 0)
            }
            guard case .success = outcome else { return outcome }
            if first == nil { first = outcome }
        }
        if case .success(let id, let status) = first {
            return .success(externalID: id ?? command.externalID, httpStatus: status)
        }
        return first ?? .permanent(TargetFailure(.unsupported, "no request for \(command.action.rawValue)"))
    }
}

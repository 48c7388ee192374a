import Normalizer

/// A fake PagerDuty Events API v2 that follows its OpenAPI description
/// (https://github.com/PagerDuty/api-schema/blob/main/reference/events-v2/openapiv3.json) and PagerDuty's "Event
/// Management" article on deduplication (https://support.pagerduty.com/docs/event-management):
///
/// - `POST /v2/enqueue` with an `application/json` body; no `Authorization`: the `routing_key` in the body is the
///   credential, and an unknown one is refused (400);
/// - `event_action` `trigger`, `acknowledge` or `resolve`; `dedup_key` required unless triggering, at most 255
///   characters; a trigger needs `payload.summary` (at most 1,024 characters), `payload.source` and
///   `payload.severity` (`critical`, `error`, `warning`, `info`), a date-time `timestamp` when given, links with
///   `href` and images with `src`;
/// - "If there is already an open incident with a matching key, this event will be appended to that incident's alert
///   log": a trigger for an open alert opens nothing new; acknowledge and resolve act on the open alert and are
///   dropped when there is none; a trigger after a resolve opens a new alert;
/// - answers 202 `{"status": "success", "message": "Event processed", "dedup_key"}`, 400 with the Error schema
///   (`status`, `message`, `errors`), 429 "Too many API calls at a time" without a documented retry header, and 5xx.
public struct FakePagerDutyAPI: FakeVendorAPI {
    static let severities: Set<String> = ["critical", "error", "warning", "info"]

    public let ledger: FakeLedger
    let routingKey: String

    /// Creates the fake; events must carry `routingKey`.
    public init(routingKey: String = "R0UT1NGK3Y0000000000000000000000", ledger: FakeLedger = FakeLedger()) {
        self.routingKey = routingKey
        self.ledger = ledger
    }

    public func handle(_ request: FakeRequest) -> FakeResponse {
        guard request.path == "/v2/enqueue" else {
            return .json(404, .object(JSONObject([("status", .string("Not Found"))])))
        }
        guard request.method == "POST" else {
            return .json(405, .object(JSONObject([("status", .string("Method Not Allowed"))])))
        }
        guard request.declares(["application/json"]), let body = request.jsonObject else {
            return invalid("Event object format is unrecognized", ["JSON parse error"], status: "Unrecognized object")
        }
        if let problems = validate(body) { return invalid("Event object is invalid", problems) }
        return apply(body)
    }

    public func serverError() -> FakeResponse {
        .json(
            500,
            .object(JSONObject([("status", .string("Internal Server Error")), ("message", .string("Please retry"))]))
        )
    }

    public func throttled(retryAfterSeconds seconds: Int) -> FakeResponse {
        .json(
            429,
            .object(
                JSONObject([
                    ("status", .string("throttle event")),
                    ("message", .string("Requests for this service are arriving too quickly. Please retry later.")),
                ])
            )
        )
    }

    func invalid(_ message: String, _ errors: [String], status: String = "invalid event") -> FakeResponse {
        .json(
            400,
            .object(
                JSONObject([
                    ("status", .string(status)), ("message", .string(message)),
                    ("errors", .array(errors.map(JSONValue.string))),
                ])
            )
        )
    }

    /// The problems of an event, or `nil` when it is valid.
    func validate(_ body: JSONObject) -> [String]? {
        var problems: [String] = []
        if body["routing_key"]?.string != routingKey { problems.append("'routing_key' is invalid") }
        let action = body["event_action"]?.string ?? ""
        if !["trigger", "acknowledge", "resolve"].contains(action) { problems.append("'event_action' is invalid") }
        if let key = body["dedup_key"] {
            if (key.string ?? "").isEmpty || key.string!.count > 255 {
                problems.append("'dedup_key' must be a string of 1 to 255 characters")
            }
        } else if action != "trigger" {
            problems.append("'dedup_key' is required for \(action)")
        }
        if action == "trigger" { problems += payloadProblems(body) }
        return problems.isEmpty ? nil : problems
    }

    private func payloadProblems(_ body: JSONObject) -> [String] {
        guard let payload = body["payload"]?.object else { return ["'payload' is missing or not an object"] }
        var problems: [String] = []
        let summary = payload["summary"]?.string ?? ""
        if summary.isEmpty || summary.count > 1024 { problems.append("'payload.summary' must be 1 to 1024 characters") }
        if (payload["source"]?.string ?? "").isEmpty { problems.append("'payload.source' is missing") }
        if !Self.severities.contains(payload["severity"]?.string ?? "") {
            problems.append("'payload.severity' must be one of critical, error, warning, info")
        }
        if let time = payload["timestamp"], time.string.flatMap(Timestamp.init(rfc3339:)) == nil {
            problems.append("'payload.timestamp' must be an ISO 8601 date-time")
        }
        if let details = payload["custom_details"], details.object == nil {
            problems.append("'payload.custom_details' must be an object")
        }
        if body["links"]?.array?.contains(where: { $0["href"]?.string == nil }) == true {
            problems.append("'links' need an href")
        }
        if body["images"]?.array?.contains(where: { $0["src"]?.string == nil }) == true {
            problems.append("'images' need a src")
        }
        return problems
    }
}

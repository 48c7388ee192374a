/// AWS Health events (`source` `aws.health`, `detail-type` "AWS Health Event"), as EventBridge delivers them
/// directly or through an SNS topic
/// (https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html).
///
/// An event ARN is one problem per account (public events share their ARN across accounts): `open` and `upcoming`
/// fire, `closed` resolves. Issues are high, investigations medium, scheduled changes low, account notifications
/// informational.
public struct AWSHealthDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .awsHealth }
    public var detectionRank: Int? { 3 }
    public var detectionRule: String { "`source` \"aws.health\" + `detail-type` \"AWS Health Event\" + `detail`" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["source"]?.string == "aws.health" && object["detail-type"]?.string == "AWS Health Event"
            && object["detail"]?.object != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let detail = object.object("detail"), let arn = detail.text("eventArn") else {
            throw Rejection(.invalidPayload, "aws-health: detail.eventArn is required")
        }
        let status: AlertStatus
        switch detail.text("statusCode")?.lowercased() {
        case "closed": status = .resolved
        case "open", "upcoming", nil: status = .firing
        case let other?:
            throw Rejection(.invalidPayload, "aws-health: statusCode \(other), expected open, upcoming or closed")
        }
        let service = detail.text("service") ?? "AWS"
        let code = detail.text("eventTypeCode") ?? "event"
        let region = detail.text("eventRegion") ?? object.text("region")
        var labels = LabelBuilder()
        labels.set("aws_account_id", object.text("account"))
        labels.set("aws_region", region)
        labels.set("service", service)
        labels.set("event_type_code", code)
        labels.set("event_type_category", detail.text("eventTypeCategory"))
        labels.set("event_scope", detail.text("eventScopeCode"))
        labels.set("health_status", detail.text("statusCode"))
        let entities = (detail.array("affectedEntities") ?? []).compactMap { $0["entityValue"]?.scalarText }
        let resources = entities.isEmpty ? (object.array("resources") ?? []).compactMap(\.scalarText) : entities
        if !resources.isEmpty { labels.set("affected_entities", resources.prefix(50).joined(separator: ",")) }
        var all = labels.labels
        let severity: Severity
        switch detail.text("eventTypeCategory")?.lowercased() {
        case "issue": severity = .high
        case "investigation": severity = .medium
        case "scheduledchange": severity = .low
        case "accountnotification": severity = .info
        case let word: severity = context.severity(word, labels: &all)
        }
        let description =
            (detail.array("eventDescription") ?? []).first { $0["language"]?.string?.hasPrefix("en") ?? true }?[
                "latestDescription"
            ]?.scalarText ?? ""
        let started =
            detail.text("startTime").flatMap(Self.time) ?? object.text("time").flatMap(Timestamp.init(rfc3339:))
            ?? context.receivedAt
        let ended = detail.text("endTime").flatMap(Self.time) ?? object.text("time").flatMap(Timestamp.init(rfc3339:))
        return [
            NormalizedEvent(
                source: "aws-health",
                dedupKey: "aws-health:\(object.text("account") ?? ""):\(arn)",
                status: status,
                severity: severity,
                title: Self.title(service: service, code: code, region: region),
                description: description,
                labels: all,
                links: [],
                occurredAt: started,
                resolvedAt: status == .resolved ? (ended ?? context.receivedAt) : nil
            )
        ]
    }

    /// `EC2`, `AWS_EC2_OPERATIONAL_ISSUE`, `us-east-1` → `EC2 operational issue in us-east-1`.
    static func title(service: String, code: String, region: String?) -> String {
        var words = code.split(separator: "_").map(String.init)
        if words.first == "AWS" { words.removeFirst() }
        if words.first?.uppercased() == service.uppercased() { words.removeFirst() }
        let what = words.map { $0.lowercased() }.joined(separator: " ")
        return "\(service) \(what.isEmpty ? code : what)" + (region.map { " in \($0)" } ?? "")
    }

    /// AWS Health writes times as RFC 1123 dates (`Sat, 04 Jun 2016 05:01:10 GMT`), sometimes as RFC 3339.
    static func time(_ text: String) -> Timestamp? {
        Timestamp(rfc3339: text) ?? MailDate.parse(text)
    }
}

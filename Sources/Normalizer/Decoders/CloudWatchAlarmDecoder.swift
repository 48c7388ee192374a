/// A CloudWatch alarm notification: the SNS message (bare, by raw message delivery, or inside an SNS envelope;
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html), or the event an
/// alarm's Lambda action receives (`alarmData`; see `CloudWatchAlarmDecoder+LambdaAction.swift`). Both are keyed by the
/// alarm ARN, like EventBridge's copy, so every copy of one alarm meets on one incident.
public struct CloudWatchAlarmDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .cloudwatch }
    public var detectionRank: Int? { 2 }
    public var detectionRule: String {
        "`AlarmName` + `NewStateValue` + (`AlarmArn` or `AWSAccountId`) (SNS message), or `alarmArn` + `alarmData` (Lambda alarm action)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        (object["AlarmName"] != nil && object["NewStateValue"] != nil
            && (object["AlarmArn"] != nil || object["AWSAccountId"] != nil))
            || (object["alarmArn"] != nil && object["alarmData"]?.object != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        if let alarm = object.object("alarmData") {
            return try decodeLambdaAction(object, alarm: alarm, context: context)
        }
        guard let name = object.text("AlarmName"), let newState = object.text("NewStateValue"),
            let key = object.text("AlarmArn") ?? object.text("AWSAccountId").map({ "account:\($0):alarm:\(name)" })
        else {
            throw Rejection(
                .invalidPayload,
                "cloudwatch: AlarmName, NewStateValue and AlarmArn (or AWSAccountId) are required"
            )
        }
        // Alarm messages from before CloudWatch added `AlarmArn` (and relays that drop it) are keyed by account
        // and name; their region is only the display name in `Region`.
        let arn = object.text("AlarmArn")
        guard let (status, opens) = CloudWatchState.status(new: newState, old: object.text("OldStateValue")) else {
            return []
        }
        var labels = LabelBuilder()
        labels.set("aws_account_id", object.text("AWSAccountId"))
        labels.set("aws_region", arn.flatMap(CloudWatchState.region(fromARN:)))
        labels.set("aws_region_name", object.text("Region"))
        labels.set("state", newState.lowercased())
        labels.set("previous_state", object.text("OldStateValue")?.lowercased())
        if let trigger = object.object("Trigger") {
            labels.set("namespace", trigger.text("Namespace"))
            labels.set("metric_name", trigger.text("MetricName"))
            labels.set("statistic", trigger.text("Statistic", "ExtendedStatistic"))
            labels.set("threshold", trigger.text("Threshold"))
            labels.set("comparison", trigger.text("ComparisonOperator"))
            for dimension in trigger.array("Dimensions") ?? [] {
                if let key = dimension["name"]?.scalarText { labels.set("dim.\(key)", dimension["value"]?.scalarText) }
            }
        }
        if let rule = object.text("AlarmRule") { labels.set("alarm_rule", rule) }
        // Composite alarms: children are documented as ARN strings but sent as objects.
        let children = (object.array("TriggeringChildren") ?? []).compactMap { $0.string ?? $0["Arn"]?.string }
        if !children.isEmpty { labels.set("triggering_children", children.joined(separator: ",")) }
        var all = labels.labels
        let severity = context.severity(nil, labels: &all)
        let reason = object.text("NewStateReason")
        let description = [object.text("AlarmDescription"), reason].compactMap { $0 }.joined(separator: "\n\n")
        let changed = object.text("StateChangeTime").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "cloudwatch",
                dedupKey: "cw:" + key,
                status: status,
                severity: severity,
                title: name,
                description: description,
                labels: all,
                links: [],
                occurredAt: changed,
                resolvedAt: status == .resolved ? changed : nil,
                opensIncident: opens
            )
        ]
    }
}

/// Amazon EventBridge "CloudWatch Alarm State Change"
/// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html). Keyed like the SNS
/// form, so both
/// copies of one alarm meet on one incident.
public struct EventBridgeDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .eventbridge }
    public var detectionRank: Int? { 4 }
    public var detectionRule: String { "`version` \"0\" + `detail-type` + `source` + `detail`" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["detail-type"] != nil && object["source"] != nil && object["detail"] != nil
            && object["version"]?.string == "0"
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let detailType = object.text("detail-type") ?? ""
        guard object.text("source") == "aws.cloudwatch" else {
            throw Rejection(.notAnAlert, "eventbridge: events from \(object.text("source") ?? "?") are not alarms")
        }
        switch detailType {
        case "CloudWatch Alarm State Change": break
        case "CloudWatch Alarm Configuration Change": return []
        default: throw Rejection(.notAnAlert, "eventbridge: \"\(detailType)\" is not an alarm state change")
        }
        guard let detail = object.object("detail"), let state = detail.object("state"),
            let newState = state.text("value")
        else {
            throw Rejection(.invalidPayload, "eventbridge: detail.state.value is required")
        }
        guard let arn = object.array("resources")?.first?.string else {
            throw Rejection(.invalidPayload, "eventbridge: resources[0] (the alarm ARN) is required")
        }
        let previous = detail.object("previousState")?.text("value")
        guard let (status, opens) = CloudWatchState.status(new: newState, old: previous) else { return [] }
        var labels = LabelBuilder()
        labels.set("aws_account_id", object.text("account"))
        labels.set("aws_region", object.text("region"))
        labels.set("state", newState.lowercased())
        labels.set("previous_state", previous?.lowercased())
        if let metric = detail.object("configuration")?.array("metrics")?.first?["metricStat"]?["metric"]?.object {
            labels.set("namespace", metric.text("namespace"))
            labels.set("metric_name", metric.text("name"))
            for (key, value) in metric.object("dimensions")?.stringMembers ?? [] { labels.set("dim.\(key)", value) }
        }
        for (key, value) in detail.object("alarmTags")?.stringMembers ?? [] { labels.set("tag.\(key)", value) }
        labels.set("actions_suppressed_by", state.text("actionsSuppressedBy"))
        // reasonData is JSON in a string; decode one level for composite alarms' triggering alarms.
        if let reasonData = state.text("reasonData"),
            let parsed = try? JSONParser(maxDepth: 8).parse(Array(reasonData.utf8))
        {
            let triggering = (parsed["triggeringAlarms"]?.array ?? []).compactMap { $0["arn"]?.string ?? $0.string }
            if !triggering.isEmpty { labels.set("triggering_children", triggering.joined(separator: ",")) }
        }
        var all = labels.labels
        let severity = context.severity(all["tag.severity"], labels: &all)
        let description = [detail.object("configuration")?.text("description"), state.text("reason")].compactMap { $0 }
            .joined(separator: "\n\n")
        let changed =
            state.text("timestamp").flatMap(Timestamp.init(rfc3339:))
            ?? object.text("time").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "eventbridge",
                dedupKey: "cw:" + arn,
                status: status,
                severity: severity,
                title: detail.text("alarmName") ?? arn,
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

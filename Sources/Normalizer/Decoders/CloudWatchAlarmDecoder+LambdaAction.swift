/// The event a CloudWatch alarm's Lambda action receives
/// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda):
/// `source` `aws.cloudwatch`, `alarmArn`, `accountId`, `region`, `time`, and `alarmData` with `alarmName`, `state`,
/// `previousState` and `configuration` in EventBridge's spelling. Relays forward it as it is.
extension CloudWatchAlarmDecoder {
    func decodeLambdaAction(
        _ object: JSONObject,
        alarm: JSONObject,
        context: DecodeContext
    ) throws(Rejection) -> [NormalizedEvent] {
        guard let arn = object.text("alarmArn"), let state = alarm.object("state"),
            let newState = state.text("value")
        else {
            throw Rejection(.invalidPayload, "cloudwatch: alarmArn and alarmData.state.value are required")
        }
        let previous = alarm.object("previousState")?.text("value")
        guard let (status, opens) = CloudWatchState.status(new: newState, old: previous) else { return [] }
        let configuration = alarm.object("configuration")
        var labels = LabelBuilder()
        labels.set("aws_account_id", object.text("accountId"))
        labels.set("aws_region", object.text("region") ?? CloudWatchState.region(fromARN: arn))
        labels.set("state", newState.lowercased())
        labels.set("previous_state", previous?.lowercased())
        if let metric = configuration?.array("metrics")?.first?["metricStat"]?["metric"]?.object {
            labels.set("namespace", metric.text("namespace"))
            labels.set("metric_name", metric.text("name"))
            for (key, value) in metric.object("dimensions")?.stringMembers ?? [] { labels.set("dim.\(key)", value) }
        }
        labels.set("alarm_rule", configuration?.text("alarmRule"))
        labels.set("actions_suppressed_by", state.text("actionsSuppressedBy"))
        // reasonData is JSON in a string; composite alarms list their triggering children there.
        if let reasonData = state.text("reasonData"),
            let parsed = try? JSONParser(maxDepth: 8).parse(Array(reasonData.utf8))
        {
            let triggering = (parsed["triggeringAlarms"]?.array ?? []).compactMap { $0["arn"]?.string ?? $0.string }
            if !triggering.isEmpty { labels.set("triggering_children", triggering.joined(separator: ",")) }
        }
        var all = labels.labels
        let severity = context.severity(nil, labels: &all)
        let description = [configuration?.text("description"), state.text("reason")].compactMap { $0 }
        let changed =
            state.text("timestamp").flatMap(Timestamp.init(rfc3339:))
            ?? object.text("time").flatMap(Timestamp.init(rfc3339:)) ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "cloudwatch",
                dedupKey: "cw:" + arn,
                status: status,
                severity: severity,
                title: alarm.text("alarmName") ?? arn,
                description: description.joined(separator: "\n\n"),
                labels: all,
                links: [],
                occurredAt: changed,
                resolvedAt: status == .resolved ? changed : nil,
                opensIncident: opens
            )
        ]
    }
}

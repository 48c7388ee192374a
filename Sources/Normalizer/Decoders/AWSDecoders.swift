/// AWS SNS HTTP/HTTPS notification envelope and its Lambda `Records[].Sns` form (INPUT-FORMATS.md §3).
///
/// Subscription and unsubscription confirmations are rejected as `sns_control`: confirming is the intake's job.
/// A notification's `Message` string is decoded again through auto-detection (a CloudWatch alarm, an
/// EventBridge event, …).
public struct SNSDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .sns }
    public var detectionRank: Int? { 1 }

    public func recognizes(_ object: JSONObject) -> Bool {
        if let type = object["Type"]?.string,
            ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"].contains(type)
        {
            return object["TopicArn"] != nil && object["MessageId"] != nil
        }
        return object.array("Records")?.first?["Sns"]?.object != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        if let records = object.array("Records") {
            var events: [NormalizedEvent] = []
            for (position, record) in records.enumerated() {
                guard let envelope = record["Sns"]?.object else {
                    throw Rejection(.invalidPayload, "sns: Records[\(position)].Sns is missing")
                }
                events += try decodeEnvelope(envelope, context: context)
            }
            return events
        }
        return try decodeEnvelope(object, context: context)
    }

    private func decodeEnvelope(_ envelope: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let type = envelope.text("Type") ?? "Notification"
        guard type == "Notification" else {
            throw Rejection(
                .snsControl,
                "sns: \(type) for \(envelope.text("TopicArn") ?? "?"); confirmations are handled by the intake"
            )
        }
        guard let message = envelope["Message"]?.string else {
            throw Rejection(.invalidPayload, "sns: Message is missing or not a string")
        }
        let inner: JSONValue
        do {
            inner = try JSONParser(maxDepth: 32).parse(Array(message.utf8))
        } catch {
            throw Rejection(
                .unrecognizedFormat,
                "sns: Message is not JSON (\(error.message)); plain-text notifications carry no alert"
            )
        }
        guard let innerObject = inner.object else {
            throw Rejection(.unrecognizedFormat, "sns: Message is JSON but not an object")
        }
        var events = try context.decodeInner(innerObject)
        for index in events.indices {
            events[index].labels["sns_message_id"] = envelope.text("MessageId")
            events[index].labels["sns_topic_arn"] = envelope.text("TopicArn")
            if let subject = envelope.text("Subject") { events[index].labels["sns_subject"] = subject }
        }
        return events
    }
}

/// How CloudWatch alarm states become statuses (INPUT-FORMATS.md §3.1): ALARM fires, OK resolves, and
/// INSUFFICIENT_DATA is neither.
enum CloudWatchState {
    /// The event status for a transition, or `nil` when the transition needs no event; the flag says whether the
    /// event may open an incident.
    static func status(new: String, old: String?) -> (AlertStatus, opensIncident: Bool)? {
        switch (new.uppercased(), old?.uppercased()) {
        case ("ALARM", _): return (.firing, true)
        case ("OK", _): return (.resolved, true)
        // ALARM → INSUFFICIENT_DATA updates an open incident without resolving it, and opens none.
        case ("INSUFFICIENT_DATA", "ALARM"): return (.firing, false)
        default: return nil
        }
    }

    /// The region code inside an alarm ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`); names may
    /// contain `:`, so split at most six times.
    static func region(fromARN arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        return parts.count >= 4 && !parts[3].isEmpty ? String(parts[3]) : nil
    }
}

/// A CloudWatch alarm notification, bare (raw SNS delivery) or inside an SNS envelope (INPUT-FORMATS.md §3.1).
public struct CloudWatchAlarmDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .cloudwatch }
    public var detectionRank: Int? { 2 }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["AlarmName"] != nil && object["NewStateValue"] != nil && object["AlarmArn"] != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let arn = object.text("AlarmArn"), let name = object.text("AlarmName"),
            let newState = object.text("NewStateValue")
        else {
            throw Rejection(.invalidPayload, "cloudwatch: AlarmArn, AlarmName and NewStateValue are required")
        }
        guard let (status, opens) = CloudWatchState.status(new: newState, old: object.text("OldStateValue")) else {
            return []
        }
        var labels = LabelBuilder()
        labels.set("aws_account_id", object.text("AWSAccountId"))
        labels.set("aws_region", CloudWatchState.region(fromARN: arn))
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
        // Composite alarms: children are documented as ARN strings but sent as objects (INPUT-FORMATS.md §3.1).
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
                dedupKey: "cw:" + arn,
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

/// Amazon EventBridge "CloudWatch Alarm State Change" (INPUT-FORMATS.md §4). Keyed like the SNS form, so both
/// copies of one alarm meet on one incident.
public struct EventBridgeDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .eventbridge }
    public var detectionRank: Int? { 3 }

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

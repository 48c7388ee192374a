/// AWS SNS HTTP/HTTPS notification envelope and its Lambda `Records[].Sns` form
/// (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html).
///
/// Subscription and unsubscription confirmations are rejected as `sns_control`: confirming is the intake's job.
/// A notification's `Message` string is decoded again through auto-detection (a CloudWatch alarm, an
/// EventBridge event, …).
public struct SNSDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .sns }
    public var detectionRank: Int? { 1 }
    public var detectionRule: String {
        "`Type` Notification, SubscriptionConfirmation or UnsubscribeConfirmation + `TopicArn` + `MessageId`, or `Records[].Sns`"
    }

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

import IncidentAPI
import Logging
import Normalizer

// MARK: - WebhookIntake + SNS

extension WebhookIntake {
    /// What an SNS source decides from the body.
    enum SNSOutcome {
        case refused(Response)
        case answered(Response)
        case verified
        case unverified
    }

    /// What can be refused from SNS's own headers before the body is read: raw delivery (unsigned) where signatures
    /// are required, a request without `x-amz-sns-message-type` (SNS always sends it) where signatures are
    /// required, a topic not in `sns.topic_arns`. The headers are easy to forge; the signature, which needs the
    /// body, stays the proof.
    func checkSNSHead(
        _ source: IntakeConfiguration.Source,
        _ options: IntakeConfiguration.SNS,
        header: (String) -> String?
    ) -> Response? {
        if header("x-amz-sns-rawdelivery")?.lowercased() == "true" {
            guard !options.verifySignatures else {
                reject(source.name, "unsigned")
                return Response(
                    status: 401,
                    body: Self.error(
                        "raw message delivery carries no signature; turn sns.verify_signatures off for this source"
                    )
                )
            }
            return nil
        }
        if options.verifySignatures, header("x-amz-sns-message-type") == nil {
            reject(source.name, "not_sns")
            return Response(status: 400, body: Self.error("not an SNS request (no x-amz-sns-message-type header)"))
        }
        if let topicARN = header("x-amz-sns-topic-arn"), !options.topicARNs.isEmpty,
            !options.topicARNs.contains(topicARN)
        {
            reject(source.name, "topic_not_allowed")
            return Response(status: 403, body: Self.error("topic \(topicARN) is not in sns.topic_arns"))
        }
        return nil
    }

    func checkSNS(
        _ source: IntakeConfiguration.Source,
        _ options: IntakeConfiguration.SNS,
        header: (String) -> String?,
        body: [UInt8]
    ) async -> SNSOutcome {
        // Raw delivery with signatures required was refused from the headers.
        if header("x-amz-sns-rawdelivery")?.lowercased() == "true" { return .unverified }
        guard let message = (try? JSONParser().parse(body))?.object, message["Type"]?.string != nil else {
            reject(source.name, "not_sns")
            return .refused(Response(status: 400, body: Self.error("the body is not an SNS message")))
        }
        if options.verifySignatures {
            do {
                try await sns.verify(message, trustedURLPattern: options.trustedURLPattern)
            } catch  where error.isTemporary {
                // Not the message's fault: 503 makes SNS deliver it again, where 401 would drop it for good.
                reject(source.name, "certificate_unavailable")
                logger.warning("intake \(source.name): cannot check an SNS message now: \(error)")
                return .refused(unavailable("the SNS signature cannot be checked now: \(error)"))
            } catch {
                reject(source.name, "invalid_signature")
                logger.warning("intake \(source.name): refused an SNS message: \(error)")
                return .refused(Response(status: 401, body: Self.error("SNS signature check failed: \(error)")))
            }
        }
        let topicARN = message["TopicArn"]?.string ?? ""
        if !options.topicARNs.isEmpty, !options.topicARNs.contains(topicARN) {
            reject(source.name, "topic_not_allowed")
            return .refused(Response(status: 403, body: Self.error("topic \(topicARN) is not in sns.topic_arns")))
        }
        if message["Type"]?.string == "SubscriptionConfirmation", options.confirmSubscriptions {
            return .answered(await confirm(source, message, options))
        }
        return options.verifySignatures ? .verified : .unverified
    }

    /// Confirms a subscription by fetching its `SubscribeURL`; SNS sends the confirmation again when this fails.
    private func confirm(
        _ source: IntakeConfiguration.Source,
        _ message: JSONObject,
        _ options: IntakeConfiguration.SNS
    ) async -> Response {
        let topic = message["TopicArn"]?.string ?? "?"
        guard let url = message["SubscribeURL"]?.string else {
            reject(source.name, "not_sns")
            return Response(status: 400, body: Self.error("the SubscriptionConfirmation has no SubscribeURL"))
        }
        do {
            try SNSVerifier.checkTrusted(url, pattern: options.trustedURLPattern, what: "SubscribeURL")
        } catch {
            reject(source.name, "untrusted_url")
            return Response(status: 400, body: Self.error("\(error)"))
        }
        do {
            let answer = try await client.execute(
                HTTPRequest(method: "GET", url: url, timeout: configuration.ackTimeout)
            )
            guard (200..<300).contains(answer.status) else {
                throw SNSVerifier.Failure(description: "SubscribeURL answered \(answer.status)")
            }
        } catch {
            reject(source.name, "confirmation_failed")
            logger.warning("intake \(source.name): confirming the subscription to \(topic) failed: \(error)")
            return unavailable("confirming the subscription failed: \(error)")
        }
        count("ingestor_intake_sns_confirmations_total", [("source", source.name)])
        logger.notice("intake \(source.name): confirmed the SNS subscription to \(topic)")
        return Response(
            status: 200,
            body: .object(JSONObject([("status", .string("confirmed")), ("topic", .string(topic))]))
        )
    }
}

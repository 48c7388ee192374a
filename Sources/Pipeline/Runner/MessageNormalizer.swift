import Normalizer

/// What a message carries: its events, or why it was rejected.
enum MessageContent: Sendable {
    /// Its events (none for a message that carries no alert, such as a test notification).
    case events([NormalizedEvent])
    /// Why it was rejected.
    case rejected(InFlightMessage.Failure)
}

/// Reads the events a message carries: raw records through the normalizer, event records back from their JSON.
protocol MessageReader: Sendable {
    /// The events of `message`, or why it was rejected.
    func events(of message: SourceMessage) -> MessageContent
}

/// Normalizes one message with the source's route, reusing the events of a byte-identical recent payload
/// (``RepeatMemo``); a rejection becomes the message's failure, for its dead letter.
struct MessageNormalizer: MessageReader {
    let normalizer: Normalizer
    let repeats: RepeatMemo
    let configuration: PipelineConfiguration
    let instruments: PipelineInstruments
    let clock: any PipelineClock

    func events(of message: SourceMessage) -> MessageContent {
        if message.header(ManualChange.header) != nil { return Self.control(message, at: clock.now()) }
        let events: [NormalizedEvent]
        do {
            let input = message.normalizerInput
            // Payloads the memory would never keep are not hashed either.
            let key =
                repeats.isEnabled && input.payload.count <= RepeatMemo.largestPayload
                ? RepeatMemo.Key(
                    topic: message.originTopic,
                    format: input.header(Normalizer.formatHeader),
                    payload: input.payload
                ) : nil
            if let key, let remembered = repeats.events(for: key) {
                events = remembered
                instruments.repeatedPayload()
            } else {
                let normalization = try normalizer.normalization(
                    of: input,
                    route: configuration.route(for: message.originTopic)
                )
                if let key { repeats.remember(key, normalization) }
                events = normalization.events
            }
        } catch {
            let now = clock.now()
            return .rejected(
                InFlightMessage.Failure(
                    stage: .normalize,
                    reason: error.code.rawValue,
                    message: error.message,
                    firstFailureAt: now,
                    lastFailureAt: now
                )
            )
        }
        instruments.normalized(events, from: message)
        return .events(events)
    }

    /// The change a control record carries (``ManualChange``), as its event, or why it cannot be read.
    static func control(_ message: SourceMessage, at now: Timestamp) -> MessageContent {
        do {
            return .events([try ManualChange(value: message.value).event])
        } catch {
            return .rejected(
                InFlightMessage.Failure(
                    stage: .normalize,
                    reason: "invalid_control_record",
                    message:
                        "a record with the \(ManualChange.header) header is not a change this build reads: \(error)",
                    firstFailureAt: now,
                    lastFailureAt: now
                )
            )
        }
    }
}

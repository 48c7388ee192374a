import Normalizer

/// Reads the event an events-topic record carries (``EventRecord``), for the delivery stage: no decoding of the
/// sender's format, only the event's own JSON. A record that is not one is rejected as `invalid_event_record`.
struct EventRecordReader: MessageReader {
    let instruments: PipelineInstruments
    let clock: any PipelineClock

    func events(of message: SourceMessage) -> MessageContent {
        let event: NormalizedEvent
        do {
            event = try NormalizedEvent(json: try JSONParser().parse(message.value))
        } catch {
            let now = clock.now()
            return .rejected(
                InFlightMessage.Failure(
                    stage: .normalize,
                    reason: "invalid_event_record",
                    message: "not a normalized event this build reads: \(error)",
                    firstFailureAt: now,
                    lastFailureAt: now
                )
            )
        }
        instruments.normalized([event], from: message)
        return .events([event])
    }
}

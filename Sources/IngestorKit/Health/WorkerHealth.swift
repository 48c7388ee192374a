import Normalizer
import Pipeline

/// Everything `/readyz` reports, gathered from the worker's parts: its phase, what the runner holds and waits on,
/// the broker probe, the target's health, and the counts.
struct WorkerHealth: Sendable {
    let status: WorkerStatus
    let readiness: Readiness
    let probe: BrokerProbe
    let instruments: PipelineInstruments
    let clock: any PipelineClock
    let progress: @Sendable () -> RunnerProgress
    let unsettledIntents: @Sendable () -> [String]
    let targetFailingSince: @Sendable () -> Timestamp?

    /// Whether the worker is ready: the judgement `/readyz` answers with, without its detail (`ingestor_ready`).
    func isReady() -> Bool {
        readiness.reasons(
            Readiness.Snapshot(phase: status.current, progress: progress(), broker: probe.reading, now: clock.now())
        ).isEmpty
    }

    /// Whether the worker is ready, and the JSON detail that says why (or why not).
    func report() -> (ready: Bool, detail: JSONValue) {
        let now = clock.now()
        let progress = progress()
        let broker = probe.reading
        let reasons = readiness.reasons(
            Readiness.Snapshot(phase: status.current, progress: progress, broker: broker, now: now)
        )
        let stats = instruments.snapshot
        func number(_ value: Int) -> JSONValue { .number(String(value)) }
        func time(_ value: Timestamp?) -> JSONValue { value.map { .string($0.rfc3339) } ?? .null }
        let detail = JSONValue.object(
            JSONObject([
                ("status", .string(reasons.isEmpty ? "ready" : "not ready")),
                ("phase", .string(progress.restoring ? "restoring" : status.current.rawValue)),
                (
                    "reasons",
                    .array(
                        reasons.map { reason in
                            .object(JSONObject([("code", .string(reason.code)), ("message", .string(reason.message))]))
                        }
                    )
                ),
                ("partitions_held", number(progress.assigned.count)),
                ("broker_last_answer_at", time(broker.lastAnswerAt)),
                ("topic_partitions", number(broker.partitions)),
                ("target_failing_since", time(targetFailingSince())),
                (
                    "oldest_in_flight_seconds",
                    number(progress.oldest.map { Int(now.duration(since: $0.since).components.seconds) }.max() ?? 0)
                ),
                ("messages_consumed", number(stats.messagesConsumed)),
                ("messages_finished", number(stats.messagesFinished)),
                ("events_written", number(stats.eventsWritten)),
                ("dead_letters", number(stats.deadLetters)),
                ("intake_paused", .bool(stats.paused)),
                ("pending_intents", .array(unsettledIntents().prefix(100).map { .string($0) })),
            ])
        )
        return (reasons.isEmpty, detail)
    }
}

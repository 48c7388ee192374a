import Normalizer
import Pipeline

/// Whether the worker is doing its job, for `/readyz`: a pure judgement over what the worker reports, so each bad
/// state is tested without making it happen.
struct Readiness: Sendable {
    /// Why the worker is not ready.
    struct Reason: Sendable, Hashable {
        /// A stable code: `starting`, `restoring`, `draining`, `stopped`, `broker_unreachable`, `no_partitions`,
        /// `partition_stuck`.
        var code: String
        /// What is wrong, for people.
        var message: String
    }

    /// What the worker reports at one moment.
    struct Snapshot: Sendable {
        var phase: WorkerStatus.Phase
        var progress: RunnerProgress
        var broker: BrokerProbe.Reading
        var now: Timestamp
    }

    let settings: IngestorConfiguration.Ops.Readiness

    /// Every reason the worker is not ready; empty when it is.
    func reasons(_ snapshot: Snapshot) -> [Reason] {
        var reasons: [Reason] = []
        let now = snapshot.now
        switch snapshot.phase {
        case .running: break
        case .starting: reasons.append(Reason(code: "starting", message: "the worker is starting"))
        case .draining: reasons.append(Reason(code: "draining", message: "the worker is shutting down"))
        case .stopped: reasons.append(Reason(code: "stopped", message: "the pipeline has stopped"))
        }
        if snapshot.progress.restoring {
            reasons.append(
                Reason(code: "restoring", message: "settling creates a crash interrupted before taking messages")
            )
        }
        let broker = snapshot.broker
        let silentSince = broker.lastAnswerAt ?? broker.startedAt
        let silence = now.duration(since: silentSince)
        if silence >= settings.brokerUnreachableAfter {
            let last = broker.lastAnswerAt.map { "since \($0.rfc3339)" } ?? "since the worker started"
            reasons.append(
                Reason(
                    code: "broker_unreachable",
                    message: "no Kafka broker has answered \(last)\(broker.lastError.map { ": \($0)" } ?? "")"
                )
            )
        }
        if let since = snapshot.progress.unassignedSince, broker.partitions > 0,
            now.duration(since: since) >= settings.unassignedAfter
        {
            reasons.append(
                Reason(
                    code: "no_partitions",
                    message: """
                        the worker has held no partition since \(since.rfc3339), although its topics have \
                        \(broker.partitions); it is not in the consumer group's assignment (a group with more members \
                        than partitions leaves some idle)
                        """
                )
            )
        }
        for oldest in snapshot.progress.oldest.sorted(by: { $0.since < $1.since })
        where now.duration(since: oldest.since) >= settings.stuckAfter {
            reasons.append(
                Reason(
                    code: "partition_stuck",
                    message: """
                        \(oldest.position.partition) has waited on offset \(oldest.position.offset) since \
                        \(oldest.since.rfc3339): it can be neither delivered nor dead-lettered
                        """
                )
            )
        }
        return reasons
    }
}

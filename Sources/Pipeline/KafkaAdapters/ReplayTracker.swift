import KafkaIO
public import Normalizer
import Synchronization

/// Counts what a replay did, as it happens; it is also the runner's observer.
public final class ReplayTracker: PipelineObserver {
    private struct State {
        var progress = ReplayProgress()
        /// Decisions per letter still in flight, for dry-run lines.
        var decisions: [MessagePosition: [String]] = [:]
        var keys: [MessagePosition: String] = [:]
        var reasons: [MessagePosition: String] = [:]
    }

    private let state: Mutex<State>
    private let started = ContinuousClock.now
    /// Called with one line per finished letter (dry runs print them).
    private let line: (@Sendable (String) -> Void)?

    /// Starts counting a replay of `total` records; `line` gets one line per finished letter (dry runs).
    public init(total: Int, line: (@Sendable (String) -> Void)?) {
        var initial = State()
        initial.progress.total = total
        state = Mutex(initial)
        self.line = line
    }

    /// The counts so far.
    public var progress: ReplayProgress {
        var progress = state.withLock { $0.progress }
        progress.elapsed = ContinuousClock.now - started
        return progress
    }

    func read() { state.withLock { $0.progress.read += 1 } }
    func skipped() { state.withLock { $0.progress.skipped += 1 } }
    func parked() { state.withLock { $0.progress.parked += 1 } }
    func foreign() { state.withLock { $0.progress.foreign += 1 } }

    /// A letter this replay must leave alone, and why (named in the summary, like a cut letter).
    func leftAlone(_ record: DeadLetterRecord, because reason: String) {
        let note = "\(record.address): \(reason)"
        state.withLock { state in
            state.progress.leftAlone += 1
            if state.progress.leftAloneLetters.count < ReplayProgress.truncatedLettersKept {
                state.progress.leftAloneLetters.append(note)
            }
        }
        line?("\(record.address)  \(record.reason)  \(record.dedupKey ?? record.keyText ?? "-")  → skipped: \(reason)")
    }

    /// A letter left alone because it lacks part of its message; dry runs get a line on it.
    func incomplete(_ record: DeadLetterRecord) {
        let note = "\(record.address): \(record.incompleteSummary)"
        state.withLock { state in
            state.progress.truncated += 1
            if state.progress.truncatedLetters.count < ReplayProgress.truncatedLettersKept {
                state.progress.truncatedLetters.append(note)
            }
        }
        line?(
            "\(record.address)  \(record.reason)  \(record.dedupKey ?? record.keyText ?? "-")  → skipped: \(record.incompleteSummary)"
        )
    }

    func fed(_ record: DeadLetterRecord) {
        state.withLock { state in
            state.progress.fed += 1
            guard line != nil else { return }
            let position = MessagePosition(
                partition: PartitionID(record.message.topicPartition),
                offset: record.message.offset
            )
            state.keys[position] = record.dedupKey ?? record.keyText ?? "-"
            state.reasons[position] = record.reason
        }
    }

    /// Letters fed and not finished yet.
    public var unsettled: Int { state.withLock { $0.progress.fed - $0.progress.finished } }

    public func decided(_ decision: Correlator.Decision, for event: NormalizedEvent, of position: MessagePosition) {
        state.withLock { state in
            state.progress.decisions[decision.name, default: 0] += 1
            if line != nil { state.decisions[position, default: []].append(decision.name) }
        }
    }

    /// A letter a dry run found it could not read (it would be dead-lettered again, with `reason`).
    public func rejected(_ message: SourceMessage, reason: String) {
        let text: String? = state.withLock { state in
            state.progress.failedAgain += 1
            guard line != nil else { return nil }
            let position = message.position
            state.decisions[position] = nil
            let key = state.keys.removeValue(forKey: position) ?? "-"
            let letterReason = state.reasons.removeValue(forKey: position) ?? "-"
            return "\(position.partition.partition):\(position.offset)  \(letterReason)  \(key)  → reject (\(reason))"
        }
        if let text { line?(text) }
    }

    public func finished(_ message: SourceMessage, outcome: MessageOutcome) {
        let text: String? = state.withLock { state in
            switch outcome {
            case .completed: state.progress.completed += 1
            case .deadLettered(let letter):
                state.progress.failedAgain += 1
                if letter.isParked { state.progress.parkedNow += 1 }
            case .abandoned: state.progress.abandoned += 1
            }
            guard line != nil else { return nil }
            let position = message.position
            let decisions = state.decisions.removeValue(forKey: position) ?? []
            let key = state.keys.removeValue(forKey: position) ?? "-"
            let reason = state.reasons.removeValue(forKey: position) ?? "-"
            var result = decisions.isEmpty ? "nothing to do" : decisions.joined(separator: ", ")
            switch outcome {
            case .deadLettered(let letter):
                result = decisions.isEmpty ? "reject (\(letter.reason))" : result + " → fails: \(letter.reason)"
            case .abandoned: result += " (interrupted)"
            case .completed: break
            }
            return "\(position.partition.partition):\(position.offset)  \(reason)  \(key)  → \(result)"
        }
        if let text { line?(text) }
    }
}

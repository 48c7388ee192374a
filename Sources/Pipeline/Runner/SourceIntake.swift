import DequeModule
import Logging
import Normalizer
import Synchronization

/// Takes messages from a source into a stage, within a bound, and moves offsets only past finished messages.
///
/// Owns what every stage that reads a source needs: the assignment, the ``OffsetLedger`` (only the highest
/// contiguous finished offset per partition is stored), the in-flight bound, and backpressure. When in-flight work
/// is full, it waits up to `pauseAfter` for room (a busy downstream); if the stall lasts longer (a throttled or down
/// target, a slow broker), it parks the message in hand, pauses every assigned partition and keeps polling the
/// source, so the consumer stays in its group and no rebalance happens; when work finishes it admits the parked
/// messages and resumes.
final class SourceIntake<Source: MessageSource>: Sendable {
    let source: Source
    /// In-flight work: one permit per message taken, more for messages with many events.
    let permits: AsyncSemaphore
    private let pauseAfter: Duration
    private let clock: any PipelineClock
    private let instruments: PipelineInstruments
    private let logger: Logger
    private let ledger = Mutex(OffsetLedger())
    /// What the intake holds, for ``holdings``.
    private let held: Mutex<(assigned: Set<PartitionID>, emptySince: Timestamp?)>
    /// Told about assignments before their messages are read, for partition-owned state.
    private let ownership: (any PartitionOwnership)?
    /// The last position stored per partition (the next offset to read), for progress marks.
    private let stored = Mutex<[PartitionID: Int64]>([:])

    init(
        source: Source,
        maxInFlight: Int,
        pauseAfter: Duration,
        clock: any PipelineClock,
        instruments: PipelineInstruments,
        logger: Logger,
        ownership: (any PartitionOwnership)? = nil
    ) {
        self.ownership = ownership
        self.source = source
        permits = AsyncSemaphore(permits: max(1, maxInFlight))
        self.pauseAfter = pauseAfter
        self.clock = clock
        self.instruments = instruments
        self.logger = logger
        held = Mutex(([], clock.now()))
    }

    /// The partitions held, since when none are held, and each partition's oldest unfinished message.
    var holdings: (assigned: [PartitionID], emptySince: Timestamp?, oldest: [RunnerProgress.Oldest]) {
        let (assigned, emptySince) = held.withLock { ($0.assigned, $0.emptySince) }
        let oldest = ledger.withLock { $0.oldestUnfinished }
        return (
            assigned.sorted(),
            emptySince,
            oldest.compactMap { entry in
                entry.since.map { RunnerProgress.Oldest(position: entry.position, since: $0) }
            }
        )
    }

    /// Reads the source until it ends or the task is cancelled, handing each message to `admit` once it holds one
    /// permit and is begun in the ledger. `admit` must lead every message to ``finish(_:permits:)`` or
    /// ``release(_:)``, however it ends.
    func run(_ admit: (SourceMessage, OffsetTicket) async -> Void) async throws {
        var iterator = source.events.makeAsyncIterator()
        var assigned: Set<PartitionID> = []
        // Messages taken from the source while in-flight work was full; never begun in the ledger, so nothing at or
        // past them is committed before they are processed (or redelivered after a restart or a revoke).
        var parked: Deque<SourceMessage> = []
        var paused = false
        while let event = try await iterator.next() {
            switch event {
            case .assigned(let partitions):
                logger.info("assigned \(partitions.map(\.description).joined(separator: ", "))")
                if let ownership {
                    // Nothing of these partitions is read before their state is restored; then reading starts
                    // where that state left off.
                    pause(partitions)
                    let positions = await ownership.assigned(partitions)
                    do {
                        try await source.seek(
                            positions.map { MessagePosition(partition: $0.key, offset: $0.value) }
                        )
                    } catch {
                        logger.warning("seek after restore failed, reading from the committed offsets: \(error)")
                    }
                    if !paused {
                        do {
                            try source.resume(partitions)
                        } catch {
                            logger.warning("resume failed: \(error)")
                        }
                    }
                }
                ledger.withLock { ledger in
                    for partition in partitions { ledger.track(partition) }
                }
                assigned.formUnion(partitions)
                hold(assigned)
                if paused { pause(partitions) }
            case .revoked(let partitions):
                ledger.withLock { $0.forget(partitions) }
                assigned.subtract(partitions)
                hold(assigned)
                let gone = Set(partitions)
                parked.removeAll { gone.contains($0.position.partition) }
                instruments.revoked(partitions)
                logger.info("revoked \(partitions.map(\.description).joined(separator: ", "))")
                stored.withLock { for partition in partitions { $0[partition] = nil } }
                await ownership?.revoked(partitions)
            case .message(let message):
                parked.append(message)
            case .idle:
                break
            }
            while let next = parked.first {
                // A short stall (a busy target) is waited out without polling; a longer one pauses the partitions,
                // because resuming costs a refetch (librdkafka 2.0 takes up to a second to resume a partition).
                var admitted = permits.tryAcquire(1)
                if !admitted, !paused { admitted = await waitForRoom() }
                guard admitted else { break }
                parked.removeFirst()
                await admit(next, begin(next))
            }
            if !parked.isEmpty, !paused {
                paused = true
                pause(Array(assigned))
                instruments.intakePaused(Array(assigned), inFlight: permits.inUse)
            } else if parked.isEmpty, paused {
                paused = false
                do {
                    try source.resume(Array(assigned))
                } catch {
                    logger.warning("resume failed: \(error)")
                }
                instruments.intakeResumed(Array(assigned))
            }
        }
    }

    private func begin(_ message: SourceMessage) -> OffsetTicket {
        instruments.consumed(message)
        let now = clock.now()
        let (was, generation) = ledger.withLock { ledger in
            let generation = ledger.generation(of: message.position.partition)
            return (generation, ledger.begin(message.position, generation: generation, since: now))
        }
        if generation != was {
            logger.warning(
                """
                \(message.position.partition) went back to offset \(message.position.offset) while later ones were in \
                flight (a seek, an offset reset or a refetch): its progress is tracked anew and what follows is read again
                """
            )
        }
        return OffsetTicket(position: message.position, generation: generation)
    }

    /// Records a message's final outcome, stores the new committable offset if it advanced, and gives its permits
    /// back.
    func finish(_ ticket: OffsetTicket, permits count: Int) {
        let position = ledger.withLock { $0.finish(ticket.position, generation: ticket.generation) }
        if let position {
            do {
                try source.store([position])
                if ownership != nil { stored.withLock { $0[position.partition] = position.offset } }
            } catch {
                logger.debug("offset store for \(position) skipped: \(error)")
            }
        }
        permits.release(count)
        instruments.finished(inFlight: permits.inUse)
    }

    /// The last position stored per partition: every message before it has its final outcome.
    var storedPositions: [PartitionID: Int64] { stored.withLock { $0 } }

    /// Gives a message's permits back without finishing it: it stays uncommitted and is redelivered.
    func release(_ count: Int) {
        permits.release(count)
    }

    /// Waits for in-flight work to finish, up to `timeout`; `false` when some was left.
    func drain(timeout: Duration, unit: String) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while permits.inUse > 0 {
            if ContinuousClock.now >= deadline {
                logger.warning("drain timeout: \(permits.inUse) \(unit) left in flight for redelivery after restart")
                return false
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Commits what is stored, then closes the source.
    func close() async throws {
        do {
            try await source.commit()
        } catch {
            logger.warning("final commit failed: \(error)")
        }
        try await source.close()
    }

    /// Records what the intake holds now.
    private func hold(_ assigned: Set<PartitionID>) {
        let now = clock.now()
        held.withLock { held in
            held.emptySince = assigned.isEmpty ? (held.emptySince ?? now) : nil
            held.assigned = assigned
        }
    }

    /// Waits up to `pauseAfter` for one permit; `true` when it was taken.
    private func waitForRoom() async -> Bool {
        guard pauseAfter > .zero else { return false }
        let permits = permits
        let pauseAfter = pauseAfter
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await permits.acquire(1)
                    return true
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: pauseAfter)
                return false
            }
            var acquired = 0
            if let first = await group.next() {
                if first { acquired += 1 }
                group.cancelAll()
            }
            for await late in group where late { acquired += 1 }
            // Both can succeed in a race with the timeout; keep one permit.
            if acquired > 1 { permits.release(acquired - 1) }
            return acquired > 0
        }
    }

    private func pause(_ partitions: [PartitionID]) {
        guard !partitions.isEmpty else { return }
        do {
            try source.pause(partitions)
        } catch {
            logger.warning("pause failed: \(error)")
        }
    }
}

import Normalizer
import Pipeline
import Testing

@Suite("Correlator")
struct CorrelatorTests {
    func decideAndApply(
        _ correlator: Correlator,
        _ event: NormalizedEvent,
        id: String = "inc-1"
    ) async throws -> Correlator.Decision {
        let decision = try await correlator.decide(event)
        if case .send(let command) = decision { try await correlator.applied(command, externalID: id) }
        return decision
    }

    func action(_ decision: Correlator.Decision) -> String { decision.name }

    @Test func lifecycleOfOneProblem() async throws {
        let correlator = Correlator(store: InMemoryIncidentStateStore(), target: "t")
        #expect(action(try await decideAndApply(correlator, sampleEvent())) == "create")
        #expect(action(try await decideAndApply(correlator, sampleEvent())) == "suppress", "a repeat changes nothing")
        let worse = try await decideAndApply(correlator, sampleEvent(severity: .critical))
        guard case .send(let update) = worse else {
            Issue.record("expected an update")
            return
        }
        #expect(update.action == .update)
        #expect(update.externalID == "inc-1")
        #expect(action(try await decideAndApply(correlator, sampleEvent(severity: .critical))) == "suppress")
        #expect(action(try await decideAndApply(correlator, sampleEvent(status: .resolved))) == "resolve")
        #expect(
            action(try await decideAndApply(correlator, sampleEvent(status: .resolved))) == "ignore",
            "already resolved"
        )
        let again = try await decideAndApply(correlator, sampleEvent(), id: "inc-2")
        guard case .send(let reopen) = again else {
            Issue.record("expected a create")
            return
        }
        #expect(reopen.action == .create)
        #expect(reopen.reason == "firing again after it was resolved")
    }

    @Test func resolveWithNothingOpenIsIgnored() async throws {
        let correlator = Correlator(store: InMemoryIncidentStateStore(), target: "t")
        #expect(action(try await correlator.decide(sampleEvent(status: .resolved))) == "ignore")
    }

    @Test func repliesCommentOnTheOpenIncidentAndNeverOpenOne() async throws {
        let correlator = Correlator(store: InMemoryIncidentStateStore(), target: "t")
        var reply = sampleEvent(description: "we are on it")
        reply.isReply = true
        reply.opensIncident = false
        #expect(action(try await correlator.decide(reply)) == "ignore", "nothing open: a reply opens nothing")
        #expect(action(try await decideAndApply(correlator, sampleEvent())) == "create")
        guard case .send(let comment) = try await correlator.decide(reply) else {
            Issue.record("expected a comment")
            return
        }
        #expect(comment.action == .comment)
        #expect(comment.externalID == "inc-1")
        try await correlator.applied(comment, externalID: nil)
        #expect(
            action(try await decideAndApply(correlator, sampleEvent())) == "suppress",
            "a comment leaves the incident's fields as they were"
        )
    }

    @Test func changesThatMatterTriggerUpdatesAndLabelsDoNot() async throws {
        let correlator = Correlator(store: InMemoryIncidentStateStore(), target: "t")
        _ = try await decideAndApply(correlator, sampleEvent())
        var relabelled = sampleEvent()
        relabelled.labels = ["pod": "other"]
        #expect(action(try await correlator.decide(relabelled)) == "suppress")
        #expect(action(try await correlator.decide(sampleEvent(title: "DiskFull!"))) == "update")
        #expect(action(try await correlator.decide(sampleEvent(description: "99%"))) == "update")
        #expect(action(try await correlator.decide(sampleEvent(status: .acknowledged))) == "update")
    }

    @Test func eventsOlderThanTheLastAppliedOneAreStale() async throws {
        let correlator = Correlator(store: InMemoryIncidentStateStore(), target: "t")
        let start = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!
        #expect(action(try await decideAndApply(correlator, sampleEvent())) == "create")
        var resolved = sampleEvent(status: .resolved)
        resolved.resolvedAt = start.advanced(by: .seconds(600))
        #expect(action(try await decideAndApply(correlator, resolved)) == "resolve")
        // The same firing alert, delivered late (a retry upstream, a replay): it must not reopen anything.
        let late = try await correlator.decide(sampleEvent())
        guard case .stale(let reason) = late else {
            Issue.record("expected stale, got \(late)")
            return
        }
        #expect(reason.contains("older than the last applied event"))
        var refired = sampleEvent()
        refired.occurredAt = start.advanced(by: .seconds(900))
        #expect(action(try await decideAndApply(correlator, refired, id: "inc-2")) == "create", "a new firing is new")
        #expect(action(try await correlator.decide(refired)) == "suppress", "the same time again is a repeat")
        var undated = sampleEvent(severity: .low)
        undated.occurredAt = nil
        #expect(action(try await correlator.decide(undated)) == "update", "no time, no staleness")
    }

    @Test func aRedeliveredEventWithTheSameTimeFromAnEarlierOffsetIsStale() async throws {
        let correlator = Correlator(store: InMemoryIncidentStateStore(), target: "t")
        func at(_ offset: Int64, partition: Int32 = 0) -> MessagePosition {
            MessagePosition(partition: PartitionID(topic: "alerts.raw", partition: partition), offset: offset)
        }
        func apply(_ event: NormalizedEvent, _ position: MessagePosition) async throws -> String {
            let decision = try await correlator.decide(
                event,
                record: correlator.record(for: event.dedupKey),
                position: position
            )
            if case .send(let command) = decision {
                try await correlator.applied(command, externalID: "inc-1", position: position)
            }
            return decision.name
        }
        // Same start time throughout: the offset is what orders them.
        #expect(try await apply(sampleEvent(severity: .medium), at(10)) == "create")
        #expect(try await apply(sampleEvent(severity: .critical), at(12)) == "update")
        // After a crash, offset 11 (older content, same time) comes again.
        #expect(try await apply(sampleEvent(severity: .medium), at(11)) == "stale")
        #expect(try await apply(sampleEvent(severity: .critical), at(12)) == "suppress", "the applied one itself")
        #expect(try await apply(sampleEvent(severity: .low), at(13)) == "update", "a later offset is newer")
        // Another partition's offsets say nothing about this one's order.
        #expect(try await apply(sampleEvent(severity: .medium), at(2, partition: 1)) == "update")
        // A newer event time wins over an earlier offset; an older one is stale wherever it was read.
        var later = sampleEvent(severity: .critical)
        later.occurredAt = Timestamp(rfc3339: "2026-11-24T08:05:00Z")
        #expect(try await apply(later, at(1, partition: 1)) == "update")
        #expect(try await apply(sampleEvent(severity: .low), at(99, partition: 1)) == "stale")
    }

    @Test func aResolveThatArrivesFirstMakesTheOlderFiringStale() async throws {
        let store = InMemoryIncidentStateStore()
        let correlator = Correlator(store: store, target: "t")
        var resolved = sampleEvent(status: .resolved)
        resolved.resolvedAt = Timestamp(rfc3339: "2026-11-24T08:10:00Z")
        let ignored = try await correlator.decide(resolved)
        #expect(ignored.name == "ignore")
        try await correlator.audit(ignored, for: resolved, at: Timestamp(rfc3339: "2026-11-24T08:11:00Z")!)
        // The firing that started at 08:00 arrives after its own resolve (another partition, a slow relay).
        #expect(try await correlator.decide(sampleEvent()).name == "stale")
        #expect(try await store.record(target: "t", dedupKey: "am:1")?.externalID == nil, "no incident, a memory")
        var later = sampleEvent()
        later.occurredAt = Timestamp(rfc3339: "2026-11-24T09:00:00Z")
        #expect(try await correlator.decide(later).name == "create", "a new firing after the resolve is new")
    }

    @Test func firingSoonAfterAResolveReopensWithinTheWindow() async throws {
        let correlator = Correlator(store: InMemoryIncidentStateStore(), target: "t", reopenWindow: .seconds(600))
        let start = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!
        #expect(action(try await decideAndApply(correlator, sampleEvent())) == "create")
        var resolved = sampleEvent(status: .resolved)
        resolved.resolvedAt = start.advanced(by: .seconds(60))
        #expect(action(try await decideAndApply(correlator, resolved)) == "resolve")

        var soon = sampleEvent()
        soon.occurredAt = start.advanced(by: .seconds(300))
        guard case .send(let reopen) = try await correlator.decide(soon) else {
            Issue.record("expected a reopen")
            return
        }
        #expect(reopen.action == .reopen)
        #expect(reopen.externalID == "inc-1", "the same incident")
        try await correlator.applied(reopen, externalID: "inc-1")
        #expect(action(try await correlator.decide(soon)) == "suppress", "open again, same content")

        var resolvedAgain = sampleEvent(status: .resolved)
        resolvedAgain.resolvedAt = start.advanced(by: .seconds(400))
        #expect(action(try await decideAndApply(correlator, resolvedAgain)) == "resolve")
        var late = sampleEvent()
        late.occurredAt = start.advanced(by: .seconds(400 + 601))
        #expect(action(try await correlator.decide(late)) == "create", "past the window: a new incident")

        let noWindow = Correlator(store: InMemoryIncidentStateStore(), target: "t")
        _ = try await decideAndApply(noWindow, sampleEvent())
        _ = try await decideAndApply(noWindow, resolved)
        #expect(action(try await noWindow.decide(soon)) == "create", "no window: always a new incident")
    }

    @Test func reconcilingAnInterruptedCreate() async throws {
        let store = InMemoryIncidentStateStore()
        let correlator = Correlator(store: store, target: "t")
        let now = Timestamp(rfc3339: "2026-11-24T09:00:00Z")!
        guard case .send(let create) = try await correlator.decide(sampleEvent()) else {
            Issue.record("expected a create")
            return
        }
        try await correlator.beginCreate(create, at: now)
        let pending = try #require(try await correlator.pendingIntents().first)
        #expect(pending.externalID == nil)
        #expect(action(try await correlator.decide(sampleEvent())) == "create", "nothing known open yet")
        let found = try await correlator.reconcile(pending, as: .found, externalID: "inc-9", at: now)
        #expect(found?.externalID == "inc-9")
        #expect(found?.pending == nil)
        #expect(try await correlator.pendingIntents().isEmpty)
        guard case .send(let update) = try await correlator.decide(sampleEvent()) else {
            Issue.record("expected an update of the found incident")
            return
        }
        #expect(update.action == .update)
        #expect(update.externalID == "inc-9")
        #expect(store.decisions.map(\.decision) == ["reconcile_found"])

        try await correlator.beginCreate(
            IncidentCommand(action: .create, dedupKey: "other", event: sampleEvent(key: "other"), reason: "r"),
            at: now
        )
        let other = try #require(try await correlator.pendingIntents().first)
        #expect(try await correlator.reconcile(other, as: .notFound, at: now) == nil, "no history left")
        #expect(try await correlator.record(for: "other") == nil)
    }

    @Test func targetsHaveSeparateState() async throws {
        let store = InMemoryIncidentStateStore()
        _ = try await decideAndApply(Correlator(store: store, target: "a"), sampleEvent())
        #expect(action(try await Correlator(store: store, target: "b").decide(sampleEvent())) == "create")
    }
}

@Suite("Dead letter envelope")
struct DeadLetterTests {
    @Test func keepsTheOriginalAndAddsDocumentedHeaders() throws {
        let original = SourceMessage(
            position: MessagePosition(partition: PartitionID(topic: "alerts.raw", partition: 2), offset: 41),
            key: Array("k".utf8),
            value: Array("payload".utf8),
            headers: [
                .init(name: "trace", text: "abc"), .init(name: "ingestor-dlq-reason", text: "old"),
                .init(name: "ingestor-dlq-replay-count", text: "2"),
            ],
            timestamp: Timestamp(rfc3339: "2026-11-24T08:00:00Z")
        )
        let letter = DeadLetter(
            original: original,
            stage: .deliver,
            reason: "target_rejected",
            message: "DevRev invalid_field",
            target: "devrev",
            httpStatus: 400,
            responseExcerpt: "{\"type\":\"invalid_field\"}",
            attempts: 1,
            dedupKey: "am:1",
            command: IncidentCommand(action: .create, dedupKey: "am:1", event: sampleEvent(), reason: "new problem"),
            firstFailureAt: Timestamp(rfc3339: "2026-11-24T08:00:01Z")!,
            lastFailureAt: Timestamp(rfc3339: "2026-11-24T08:00:02Z")!,
            workerVersion: "0.1.0",
            maxReplays: 2
        )
        #expect(letter.key == original.key)
        #expect(letter.value == original.value)
        let headers = Dictionary(
            letter.headers.map { ($0.name, String(decoding: $0.value ?? [], as: UTF8.self)) },
            uniquingKeysWith: { $1 }
        )
        #expect(headers["trace"] == "abc", "original headers are kept")
        #expect(
            letter.headers.filter { $0.name == "ingestor-dlq-reason" }.count == 1,
            "old failure headers are replaced"
        )
        #expect(headers["ingestor-dlq-reason"] == "target_rejected")
        #expect(headers["ingestor-dlq-stage"] == "deliver")
        #expect(headers["ingestor-dlq-target"] == "devrev")
        #expect(headers["ingestor-dlq-http-status"] == "400")
        #expect(headers["ingestor-dlq-attempts"] == "1")
        #expect(headers["ingestor-dlq-original-topic"] == "alerts.raw")
        #expect(headers["ingestor-dlq-original-partition"] == "2")
        #expect(headers["ingestor-dlq-original-offset"] == "41")
        #expect(headers["ingestor-dlq-original-timestamp"] == "2026-11-24T08:00:00.000Z")
        #expect(headers["ingestor-dlq-first-failure-at"] == "2026-11-24T08:00:01.000Z")
        #expect(headers["ingestor-dlq-last-failure-at"] == "2026-11-24T08:00:02.000Z")
        #expect(headers["ingestor-dlq-replay-count"] == "2")
        #expect(headers["ingestor-dlq-dedup-key"] == "am:1")
        #expect(headers["ingestor-dlq-action"] == "create")
        #expect(headers["ingestor-dlq-worker-version"] == "0.1.0")
        #expect(headers["ingestor-dlq-parked"] == "true", "replayed max_replays times: parked")
        let command = try #require(headers["ingestor-dlq-command"].flatMap { try? JSONParser().parse(Array($0.utf8)) })
        #expect(command["action"]?.string == "create")
        #expect(command["event"]?["dedupKey"]?.string == sampleEvent().dedupKey)
        #expect(
            Set(headers.keys.filter { $0.hasPrefix("ingestor-dlq-") })
                == Set(DeadLetter.Field.allCases.filter { !DeadLetter.Field.cutFields.contains($0) }.map(\.rawValue)),
            "every header but those of a cut letter"
        )
    }

    @Test func aReplayedLetterKeepsPointingAtTheMessagesFirstHome() throws {
        // A letter read back from alerts.dlq[0]@7 for replay carries its first failure's headers.
        let replayed = SourceMessage(
            position: MessagePosition(partition: PartitionID(topic: "alerts.dlq", partition: 0), offset: 7),
            key: nil,
            value: Array("payload".utf8),
            headers: [
                .init(name: "ingestor-dlq-original-topic", text: "alerts.raw"),
                .init(name: "ingestor-dlq-original-partition", text: "2"),
                .init(name: "ingestor-dlq-original-offset", text: "41"),
                .init(name: "ingestor-dlq-original-timestamp", text: "2026-11-24T08:00:00.000Z"),
                .init(name: "ingestor-dlq-first-failure-at", text: "2026-11-24T08:00:01.000Z"),
                .init(name: "ingestor-dlq-replay-count", text: "1"),
            ],
            originTopic: "alerts.raw"
        )
        let letter = DeadLetter(
            original: replayed,
            stage: .normalize,
            reason: "invalid_json",
            message: "still not JSON",
            firstFailureAt: Timestamp(rfc3339: "2026-11-25T10:00:00Z")!,
            lastFailureAt: Timestamp(rfc3339: "2026-11-25T10:00:00Z")!,
            workerVersion: "0.1.0"
        )
        let headers = Dictionary(
            letter.headers.map { ($0.name, String(decoding: $0.value ?? [], as: UTF8.self)) },
            uniquingKeysWith: { $1 }
        )
        #expect(letter.headers.filter { $0.name == "ingestor-dlq-original-topic" }.count == 1)
        #expect(headers["ingestor-dlq-original-topic"] == "alerts.raw")
        #expect(headers["ingestor-dlq-original-offset"] == "41")
        #expect(headers["ingestor-dlq-first-failure-at"] == "2026-11-24T08:00:01.000Z", "the first failure stays")
        #expect(headers["ingestor-dlq-last-failure-at"] == "2026-11-25T10:00:00.000Z")
        #expect(headers["ingestor-dlq-replay-count"] == "1")
        #expect(headers["ingestor-dlq-parked"] == nil, "1 of the default 3 replays")
        #expect(headers["ingestor-dlq-command"] == nil, "nothing was normalized")
        #expect(replayed.normalizerInput.origin == "alerts.raw", "decoded with its first topic's settings")
    }
}

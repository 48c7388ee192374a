import IncidentAPI
import Logging
import Normalizer
import PipelineTestSupport
import Synchronization
import Testing

@testable import Pipeline

/// A switch a scripted target waits on, so a test can hold the target "down" and let it come back.
final class TargetSwitch: Sendable {
    private let open = Mutex(false)
    func release() { open.withLock { $0 = true } }
    func wait() async {
        while !open.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(1)) }
    }
}

private let raw0 = PartitionID(topic: "raw", partition: 0)

@Suite("Delivery engine")
struct DeliveryEngineTests {
    @Test func aStalledTargetPausesIntakeWithBoundedWorkAndResumesWithoutLoss() async throws {
        let gate = TargetSwitch()
        let target = ScriptedTarget { _, _ in
            await gate.wait()
            return nil
        }
        let messages = (0..<60).map { index in
            message(0, Int64(index), alertmanagerPayload([("k\(index)", "firing", "s")]))
        }
        let harness = RunnerHarness([.assigned([raw0])] + messages, target: target, lanes: 4, maxInFlight: 8)
        let runner = harness.runner
        let task = Task { try await runner.run() }

        try await waitUntil { harness.instruments.snapshot.paused }
        #expect(harness.source.paused == [raw0], "the partition is paused, not the poll")
        // Work in flight stays at the bound; the source handed out only what fits plus the one message in hand.
        let inFlight = runner.inFlightEvents
        let handedOut = harness.source.handedOut
        try await Task.sleep(for: .milliseconds(200))
        #expect(runner.inFlightEvents == 8)
        #expect(inFlight == 8)
        #expect(harness.source.handedOut == handedOut, "nothing more is taken while paused")
        #expect(handedOut <= 1 + 8 + 1, "the assignment, eight in flight and one parked")
        #expect(harness.source.stored.isEmpty, "nothing finished, nothing stored")

        gate.release()
        try await waitUntil { harness.instruments.snapshot.messagesFinished == 60 }
        runner.stop()
        try await task.value
        #expect(harness.source.resumeCalls >= 1)
        #expect(harness.instruments.snapshot.pauses >= 1)
        #expect(harness.source.committable[raw0] == 60, "every offset committed once its work finished")
        #expect(Set(target.calls.map(\.dedupKey)).count == 60)
        #expect(target.calls.allSatisfy { $0.action == .create })
    }

    @Test func aCreateFoundByLookupAfterACrashIsNotCreatedAgain() async throws {
        let store = InMemoryIncidentStateStore()
        let crashTime = Timestamp(rfc3339: "2026-11-24T07:00:00Z")!
        // What a crash between the create call and its answer leaves behind.
        for key in ["am:lost", "am:never-sent"] {
            try await store.save(
                IncidentRecord(
                    target: "scripted",
                    dedupKey: key,
                    externalID: nil,
                    status: .open,
                    contentHash: 0,
                    lastEventAt: nil,
                    pending: .init(action: .create, since: crashTime)
                )
            )
        }
        let target = ScriptedTarget(lookup: { key in
            key == "am:lost" ? .found(externalID: "inc-77", status: .open) : .notFound
        })
        let events: [SourceEvent] = [
            .assigned([raw0]),
            message(0, 0, alertmanagerPayload([("lost", "firing", "s"), ("never-sent", "firing", "s")])),
        ]
        let harness = RunnerHarness(events, target: target, store: store)
        try await harness.run(untilFinished: 1)
        #expect(Set(target.lookedUp) == ["am:lost", "am:never-sent"])
        let calls = Dictionary(uniqueKeysWithValues: target.calls.map { ($0.dedupKey, $0) })
        #expect(calls["am:lost"]?.action == .update, "the found incident is brought up to date, not created again")
        #expect(calls["am:lost"]?.externalID == "inc-77")
        #expect(calls["am:never-sent"]?.action == .create, "the lookup found nothing: the create never happened")
        #expect(try await store.pendingIntents(target: "scripted").isEmpty)
        #expect(harness.runner.unsettledIntents.isEmpty)
        #expect(harness.instruments.snapshot.pendingIntentsRecovered == 1)
        #expect(
            store.decisions.map(\.decision).filter { $0.hasPrefix("reconcile") }.sorted() == [
                "reconcile_found", "reconcile_not_found",
            ]
        )
    }

    @Test func withoutLookupAnInterruptedCreateIsReportedUntilItsKeyComesBack() async throws {
        let store = InMemoryIncidentStateStore()
        try await store.save(
            IncidentRecord(
                target: "scripted",
                dedupKey: "am:k",
                externalID: nil,
                status: .open,
                contentHash: 0,
                lastEventAt: nil,
                pending: .init(action: .create, since: Timestamp(millisecondsSinceEpoch: 0))
            )
        )
        let target = ScriptedTarget()
        let harness = RunnerHarness([.assigned([raw0])], target: target, store: store)
        await harness.runner.reconcilePendingIntents()
        #expect(harness.runner.unsettledIntents == ["am:k"], "surfaced for /readyz")
        #expect(harness.instruments.snapshot.pendingIntentsFound == 1)
        #expect(try await store.pendingIntents(target: "scripted").count == 1, "kept until the key's next event")

        let later = RunnerHarness(
            [.assigned([raw0]), message(0, 0, alertmanagerPayload([("k", "firing", "s")]))],
            target: target,
            store: store
        )
        try await later.run(untilFinished: 1)
        #expect(target.calls.map(\.action) == [.create], "the documented bound: the create is made again")
        #expect(later.instruments.snapshot.pendingIntentsUnverifiable == 1)
        #expect(try await store.pendingIntents(target: "scripted").isEmpty)
    }

    @Test func aCreateThatMayHaveLandedKeepsItsIntentAndOneRefusedForGoodDoesNot() async throws {
        let store = InMemoryIncidentStateStore()
        let target = ScriptedTarget { command, _ in
            command.dedupKey == "am:timeout"
                ? .retryable(TargetFailure(.transport, "operation timed out"), retryAfter: nil)
                : .permanent(TargetFailure(.rejected, "invalid_field", httpStatus: 400))
        }
        var policy = RetryPolicy()
        policy.maxAttempts = 2
        policy.initialBackoff = .milliseconds(1)
        let harness = RunnerHarness(
            [
                .assigned([raw0]),
                message(0, 0, alertmanagerPayload([("timeout", "firing", "s"), ("bad", "firing", "s")])),
            ],
            target: target,
            store: store,
            policy: policy
        )
        try await harness.run(untilFinished: 1)
        #expect(harness.sink.letters.count == 1)
        #expect(try await store.pendingIntents(target: "scripted").map(\.dedupKey) == ["am:timeout"])
        #expect(try await store.record(target: "scripted", dedupKey: "am:bad") == nil)
    }

    @Test func staleAndIgnoredDecisionsAreAuditedAndCounted() async throws {
        let store = InMemoryIncidentStateStore()
        let harness = RunnerHarness(
            [.assigned([raw0]), message(0, 0, alertmanagerPayload([("nothing-open", "resolved", "s")]))],
            store: store
        )
        try await harness.run(untilFinished: 1)
        #expect(harness.instruments.snapshot.ignored == 1)
        #expect(store.decisions.map(\.decision) == ["ignore"])
        #expect(store.decisions.first?.origin == "raw[0]@0")
    }
}

@Suite("Minimum update interval")
struct MinimumUpdateIntervalTests {
    func harness(_ summaries: [(String, String)], clock: SteppedClock) -> RunnerHarness {
        let events: [SourceEvent] =
            [.assigned([PartitionID(topic: "raw", partition: 0)])]
            + summaries.enumerated().map { index, pair in
                message(0, Int64(index), alertmanagerPayload([("k", pair.0, pair.1)]))
            }
        return RunnerHarness(events, clock: clock, minUpdateInterval: .seconds(60))
    }

    @Test func updatesWithinTheIntervalCoalesceToTheNewest() async throws {
        let clock = SteppedClock()
        let harness = harness([("firing", "v1"), ("firing", "v2"), ("firing", "v3"), ("firing", "v4")], clock: clock)
        let runner = harness.runner
        let task = Task { try await runner.run() }
        try await waitUntil { harness.instruments.snapshot.messagesFinished == 3 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(harness.target.calls.map(\.action) == [.create], "v2 and v3 were replaced, v4 waits")
        #expect(harness.instruments.snapshot.suppressed == 2)
        #expect(harness.source.committable[PartitionID(topic: "raw", partition: 0)] == 3, "v4 is not committed yet")

        clock.advance(by: .seconds(60))
        try await waitUntil { harness.instruments.snapshot.messagesFinished == 4 }
        runner.stop()
        try await task.value
        #expect(harness.target.calls.map(\.action) == [.create, .update])
        #expect(harness.target.calls.last?.event.title == "A: v4", "only the newest state is sent")
        #expect(harness.source.committable[PartitionID(topic: "raw", partition: 0)] == 4)
    }

    @Test func aResolveIsNeverHeldBackAndDropsTheWaitingUpdate() async throws {
        let clock = SteppedClock()
        let harness = harness([("firing", "v1"), ("firing", "v2"), ("resolved", "v2")], clock: clock)
        try await harness.run(untilFinished: 3)
        #expect(harness.target.calls.map(\.action) == [.create, .resolve])
    }

    @Test func shutdownLeavesAHeldBackUpdateForRedelivery() async throws {
        let clock = SteppedClock()
        let harness = harness([("firing", "v1"), ("firing", "v2")], clock: clock)
        let runner = harness.runner
        let task = Task { try await runner.run() }
        try await waitUntil { harness.instruments.snapshot.messagesFinished == 1 }
        try await Task.sleep(for: .milliseconds(50))
        runner.stop()
        try await task.value
        #expect(harness.target.calls.map(\.action) == [.create])
        #expect(harness.source.committable[PartitionID(topic: "raw", partition: 0)] == 1, "v2 is redelivered")
        #expect(harness.instruments.snapshot.abandoned == 1)
    }
}

@Suite("Storm fast path")
struct StormFastPathTests {
    @Test func aRepeatBehindAnUpdateInFlightWaitsForItInsteadOfBeingSuppressedEarly() async throws {
        let gate = TargetSwitch()
        let target = ScriptedTarget { command, _ in
            if command.action == .update { await gate.wait() }
            return nil
        }
        let p0 = PartitionID(topic: "raw", partition: 0)
        let harness = RunnerHarness(
            [
                .assigned([p0]),
                message(0, 0, alertmanagerPayload([("k", "firing", "v1")])),
                message(0, 1, alertmanagerPayload([("k", "firing", "v2")])),
                // Back to v1 while the update to v2 is still in flight: against the record as it stands now (v1)
                // this looks like a repeat, but it comes after v2 and must undo it.
                message(0, 2, alertmanagerPayload([("k", "firing", "v1")])),
                // A repeat for a key with nothing in flight takes the fast path.
                message(0, 3, alertmanagerPayload([("other", "firing", "x")])),
                message(0, 4, alertmanagerPayload([("other", "firing", "x")])),
            ],
            target: target
        )
        let runner = harness.runner
        let task = Task { try await runner.run() }
        try await waitUntil { harness.target.calls.contains { $0.action == .update } }
        try await Task.sleep(for: .milliseconds(50))
        gate.release()
        try await waitUntil { harness.instruments.snapshot.messagesFinished == 5 }
        runner.stop()
        try await task.value
        let forK = harness.target.calls.filter { $0.dedupKey == "am:k" }
        #expect(forK.map(\.action) == [.create, .update, .update])
        #expect(forK.map(\.event.title) == ["A: v1", "A: v2", "A: v1"], "the newest state wins")
        #expect(harness.instruments.snapshot.suppressed == 1, "only the repeat of `other`")
    }
}

@Suite("Storm guard")
struct StormGuardTests {
    @Test func pastTheLimitNewProblemsFoldIntoOneIncidentThatEndsWhenQuiet() async throws {
        var settings = StormGuard.Settings()
        settings.maxNewPerMinute = 5
        settings.updateInterval = .seconds(30)
        settings.quietPeriod = .seconds(120)
        settings.samples = 3
        let clock = SteppedClock()
        let p0 = PartitionID(topic: "raw", partition: 0)
        var events: [SourceEvent] = [.assigned([p0])]
        for index in 0..<20 {
            events.append(message(0, Int64(index), alertmanagerPayload([("s\(index)", "firing", "disk \(index)")])))
        }
        // A critical problem still gets its own incident; a folded problem's resolve needs no call.
        let critical = Array(
            #"{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"A","severity":"critical"},"annotations":{"summary":"down"},"fingerprint":"crit"}]}"#
                .utf8
        )
        events.append(message(0, 20, critical))
        events.append(message(0, 21, alertmanagerPayload([("s10", "resolved", "disk 10")])))
        let harness = RunnerHarness(events, clock: clock, stormGuard: settings)
        let runner = harness.runner
        let task = Task { try await runner.run() }
        try await waitUntil { harness.instruments.snapshot.messagesFinished == 22 }

        let aggregateKey = StormGuard.aggregateKey(for: "alertmanager")
        let calls = harness.target.calls
        #expect(calls.filter { $0.action == .create && $0.dedupKey.hasPrefix("am:s") }.count == 5)
        #expect(calls.contains { $0.action == .create && $0.dedupKey == "am:crit" }, "critical passes")
        #expect(calls.filter { $0.dedupKey == aggregateKey }.map(\.action) == [.create], "one aggregate incident")
        #expect(!calls.contains { $0.action == .resolve }, "the folded problem's resolve needed no call")
        #expect(harness.instruments.snapshot.folded == 15)
        #expect(harness.source.committable[p0] == 22, "folded messages are done, deliberately")

        // The next update interval brings the count up to date.
        clock.advance(by: .seconds(30))
        try await waitUntil { harness.target.calls.contains { $0.dedupKey == aggregateKey && $0.action == .update } }
        let update = try #require(harness.target.calls.last { $0.dedupKey == aggregateKey })
        #expect(update.event.title == "Alert storm from alertmanager: 15 new problems held back")
        let samples = update.event.description.split(separator: "\n").filter { $0.hasPrefix("- A: disk ") }
        #expect(samples.count == 3, "samples name the first problems held back: \(samples)")

        // Quiet for the quiet period: the storm is over, its incident resolved.
        clock.advance(by: .seconds(150))
        try await waitUntil { harness.target.calls.contains { $0.dedupKey == aggregateKey && $0.action == .resolve } }
        runner.stop()
        try await task.value
    }

    @Test func theLimitCountsCreatesInTheLastMinute() {
        var settings = StormGuard.Settings()
        settings.maxNewPerMinute = 2
        let guardian = StormGuard(settings: settings)
        let t0 = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!
        let event = sampleEvent(severity: .high)
        #expect(guardian.admitCreate(event, at: t0))
        #expect(guardian.admitCreate(event, at: t0.advanced(by: .seconds(10))))
        #expect(!guardian.admitCreate(event, at: t0.advanced(by: .seconds(20))))
        #expect(guardian.admitCreate(event, at: t0.advanced(by: .seconds(61))), "the first create left the window")
        #expect(guardian.admitCreate(sampleEvent(severity: .critical), at: t0.advanced(by: .seconds(62))))
        #expect(StormGuard(settings: StormGuard.Settings()).admitCreate(event, at: t0), "off by default")
    }

    /// A delivery worker owning a quarter of the events partitions lets through a quarter of the limit (rounded up),
    /// so the workers together fold past about the configured number.
    @Test func aWorkerSharingTheWorkFoldsPastItsShareOfTheLimit() {
        var settings = StormGuard.Settings()
        settings.maxNewPerMinute = 10
        let guardian = StormGuard(settings: settings)
        guardian.setShare(0.25)
        #expect(guardian.limit == 3)
        let t0 = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!
        let admitted = (0..<10).filter {
            guardian.admitCreate(sampleEvent(severity: .high), at: t0.advanced(by: .seconds(Int64($0))))
        }
        #expect(admitted.count == 3)
        guardian.setShare(0.01)
        #expect(guardian.limit == 1, "never below one")
        guardian.setShare(1)
        #expect(guardian.limit == 10)
    }
}

@Suite("Grouping")
struct GroupingTests {
    /// An Alertmanager message with alerts (fingerprint, alertname, status).
    func payload(_ alerts: [(String, String, String)], at time: String = "2026-11-24T08:00:00Z") -> [UInt8] {
        let items = alerts.map { key, name, status in
            #"{"status":"\#(status)","labels":{"alertname":"\#(name)","instance":"\#(key)"},"annotations":{"summary":"\#(name) on \#(key)"},"startsAt":"2026-11-24T08:00:00Z","endsAt":"\#(status == "resolved" ? time : "0001-01-01T00:00:00Z")","fingerprint":"\#(key)"}"#
        }
        return Array(#"{"version":"4","groupKey":"g","alerts":[\#(items.joined(separator: ","))]}"#.utf8)
    }

    @Test func alertsSharingTheLabelsOpenOneIncidentAfterTheGroupWaitAndResolveWithTheLast() async throws {
        let store = InMemoryIncidentStateStore()
        let groupings = ["raw": Grouping(labels: ["alertname"], wait: .seconds(30))]
        let p0 = PartitionID(topic: "raw", partition: 0)
        let target = ScriptedTarget()
        let clock = SteppedClock()
        let first = RunnerHarness(
            [
                .assigned([p0]),
                message(0, 0, payload([("a1", "DiskFull", "firing"), ("a2", "DiskFull", "firing")])),
                message(0, 1, payload([("a3", "DiskFull", "firing")])),
                message(0, 2, payload([("b1", "HighLoad", "firing")])),
                // Fired and resolved within its group wait: no incident at all.
                message(0, 3, payload([("c1", "Flap", "firing")])),
                message(0, 4, payload([("c1", "Flap", "resolved")], at: "2026-11-24T08:00:05Z")),
            ],
            target: target,
            store: store,
            clock: clock,
            groupings: groupings
        )
        let runner = first.runner
        let task = Task { try await runner.run() }
        try await waitUntil { first.instruments.snapshot.messagesFinished == 3 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(target.calls.isEmpty, "creates wait for the group")
        clock.advance(by: .seconds(30))
        try await waitUntil { first.instruments.snapshot.messagesFinished == 5 }
        runner.stop()
        try await task.value

        let creates = target.calls.filter { $0.action == .create }
        #expect(creates.count == 2, "one incident per alertname; the flap opened none: \(creates.map(\.dedupKey))")
        let disk = try #require(creates.first { $0.dedupKey == "group:alertmanager:alertname=DiskFull" })
        #expect(disk.event.title == "DiskFull on a1 (+2 more)")
        #expect(disk.event.description.contains("Firing (3):"))
        #expect(creates.contains { $0.dedupKey == "group:alertmanager:alertname=HighLoad" })

        // Later: members resolve one by one; the incident follows and resolves with the last.
        let second = RunnerHarness(
            [
                .assigned([p0]),
                message(0, 5, payload([("a1", "DiskFull", "resolved")], at: "2026-11-24T09:00:00Z")),
                message(
                    0,
                    6,
                    payload(
                        [("a2", "DiskFull", "resolved"), ("a3", "DiskFull", "resolved")],
                        at: "2026-11-24T09:10:00Z"
                    )
                ),
            ],
            target: target,
            store: store,
            clock: SteppedClock(),
            groupings: groupings
        )
        try await second.run(untilFinished: 2)
        let later = target.calls.dropFirst(2).filter { $0.dedupKey == disk.dedupKey }
        // Each alert is its own event: a2's resolve updates the list, a3's resolves the incident.
        #expect(later.map(\.action) == [.update, .update, .resolve])
        #expect(later.first?.event.title == "DiskFull on a2 (+1 more)")
        #expect(try await store.record(target: "scripted", dedupKey: disk.dedupKey)?.status == .resolved)
        let again = try await store.saveMember(
            GroupMember(
                target: "scripted",
                groupKey: disk.dedupKey,
                memberKey: "am:probe",
                status: .firing,
                severity: .low,
                title: "probe",
                occurredAt: nil,
                firstSeen: Timestamp(millisecondsSinceEpoch: 0)
            )
        )
        #expect(again.map(\.memberKey) == ["am:probe"], "a resolved group's members were forgotten")
    }
}

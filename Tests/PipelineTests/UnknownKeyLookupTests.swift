import IncidentAPI
import Normalizer
import PipelineTestSupport
import Synchronization
import Testing

@testable import Pipeline

private let raw0 = PartitionID(topic: "raw", partition: 0)

/// The safety net for lost state: a key with no state is looked up at the target before its event is decided.
@Suite("Unknown key lookup")
struct UnknownKeyLookupTests {
    /// A target whose lookups find `incidents` (key → id and status) and nothing else.
    private static func target(_ incidents: [String: (String, LookupOutcome.Status)]) -> ScriptedTarget {
        ScriptedTarget(lookup: { key in
            incidents[key].map { .found(externalID: $0.0, status: $0.1) } ?? .notFound
        })
    }

    private static func run(
        _ alerts: [(key: String, status: String, summary: String)],
        target: ScriptedTarget,
        store: InMemoryIncidentStateStore = InMemoryIncidentStateStore(),
        lookupUnknownKeys: Bool = true,
        policy: RetryPolicy? = nil
    ) async throws -> RunnerHarness {
        let harness = RunnerHarness(
            [.assigned([raw0]), message(0, 0, alertmanagerPayload(alerts))],
            target: target,
            store: store,
            policy: policy,
            lookupUnknownKeys: lookupUnknownKeys
        )
        try await harness.run(untilFinished: 1)
        return harness
    }

    @Test func aFiringForAKeyWithNoStateUpdatesTheOpenIncidentTheLookupFinds() async throws {
        let store = InMemoryIncidentStateStore()
        let target = Self.target(["am:lost": ("inc-9", .open)])
        let harness = try await Self.run([("lost", "firing", "disk full")], target: target, store: store)
        #expect(target.lookedUp == ["am:lost"])
        #expect(target.calls.map(\.action) == [.update], "no create: the open incident is brought up to date")
        #expect(target.calls.first?.externalID == "inc-9")
        let record = try await store.record(target: "scripted", dedupKey: "am:lost")
        #expect(record?.externalID == "inc-9" && record?.status == .open)
        #expect(store.decisions.map(\.decision) == ["adopt", "update"])
        #expect(harness.instruments.snapshot.unknownKeysLookedUp == 1)
        #expect(harness.instruments.snapshot.unknownKeysAdopted == 1)
        #expect(harness.instruments.snapshot.created == 0)
    }

    @Test func aResolveForAKeyWithNoStateResolvesTheOpenIncidentTheLookupFinds() async throws {
        let store = InMemoryIncidentStateStore()
        let target = Self.target(["am:lost": ("inc-9", .open)])
        let harness = try await Self.run([("lost", "resolved", "disk full")], target: target, store: store)
        #expect(target.calls.map(\.action) == [.resolve])
        #expect(target.calls.first?.externalID == "inc-9")
        let record = try await store.record(target: "scripted", dedupKey: "am:lost")
        #expect(record?.status == .resolved && record?.externalID == "inc-9", "the resolve is recorded")
        #expect(harness.instruments.snapshot.ignored == 0)
    }

    /// A closed incident, or none, leaves the decision as it is without the lookup: a firing creates, a resolve is
    /// ignored.
    @Test func aClosedIncidentOrNoneLeavesTheDecisionAsBefore() async throws {
        let store = InMemoryIncidentStateStore()
        let target = Self.target(["am:closed": ("old-1", .closed), "am:closed-resolve": ("old-2", .closed)])
        let harness = try await Self.run(
            [
                ("closed", "firing", "s"), ("none", "firing", "s"), ("closed-resolve", "resolved", "s"),
                ("none-resolve", "resolved", "s"),
            ],
            target: target,
            store: store
        )
        #expect(Set(target.lookedUp) == ["am:closed", "am:none", "am:closed-resolve", "am:none-resolve"])
        let calls = Dictionary(uniqueKeysWithValues: target.calls.map { ($0.dedupKey, $0.action) })
        #expect(calls == ["am:closed": .create, "am:none": .create])
        #expect(harness.instruments.snapshot.ignored == 2)
        #expect(harness.instruments.snapshot.unknownKeysAdopted == 0)
        #expect(try await store.record(target: "scripted", dedupKey: "am:closed")?.externalID != "old-1")
    }

    /// A target whose answer does not say whether the incident is open (the generic target): adopted, since a
    /// second incident is what the check exists to prevent.
    @Test func anIncidentOfUnknownStatusIsAdopted() async throws {
        let target = Self.target(["am:k": ("inc-3", .unknown)])
        let harness = try await Self.run([("k", "firing", "s")], target: target)
        #expect(target.calls.map(\.action) == [.update])
        #expect(harness.instruments.snapshot.unknownKeysAdopted == 1)
    }

    /// A key whose record says its incident was resolved has state: it is not looked up, and fires a new incident.
    @Test func aKeyRecordedAsResolvedIsNotLookedUp() async throws {
        let store = InMemoryIncidentStateStore()
        try await store.save(
            IncidentRecord(
                target: "scripted",
                dedupKey: "am:done",
                externalID: "inc-old",
                status: .resolved,
                contentHash: 0,
                lastEventAt: Timestamp(rfc3339: "2020-01-01T00:00:00Z")
            )
        )
        let target = Self.target(["am:done": ("inc-open", .open)])
        _ = try await Self.run([("done", "firing", "s")], target: target, store: store)
        #expect(target.lookedUp.isEmpty)
        #expect(target.calls.map(\.action) == [.create])
    }

    /// Events of one key after the first find its state: one lookup per key new to the state.
    @Test func aKeyIsLookedUpOnce() async throws {
        let target = Self.target(["am:a": ("inc-1", .open)])
        _ = try await Self.run(
            [("a", "firing", "one"), ("b", "firing", "one"), ("a", "firing", "two"), ("b", "firing", "two")],
            target: target
        )
        #expect(target.lookedUp.sorted() == ["am:a", "am:b"])
        #expect(target.calls.filter { $0.dedupKey == "am:a" }.map(\.action) == [.update, .update])
        #expect(target.calls.filter { $0.dedupKey == "am:b" }.map(\.action) == [.create, .update])
    }

    @Test func turnedOffAKeyWithNoStateIsCreatedWithoutALookup() async throws {
        let target = Self.target(["am:lost": ("inc-9", .open)])
        _ = try await Self.run([("lost", "firing", "s")], target: target, lookupUnknownKeys: false)
        #expect(target.lookedUp.isEmpty)
        #expect(target.calls.map(\.action) == [.create])
    }

    @Test func aTargetThatCannotLookUpCreatesAsBefore() async throws {
        let target = ScriptedTarget()
        let harness = try await Self.run([("lost", "firing", "s")], target: target)
        #expect(target.calls.map(\.action) == [.create])
        #expect(harness.instruments.snapshot.unknownKeysLookedUp == 0)
    }

    /// A failing lookup is retried like any call.
    @Test func aLookupFailingForAWhileIsRetried() async throws {
        let attempts = Mutex(0)
        let target = ScriptedTarget(lookup: { _ in
            let attempt = attempts.withLock {
                $0 += 1
                return $0
            }
            guard attempt > 2 else {
                return .failed(.retryable(TargetFailure(.unavailable, "busy", httpStatus: 503), retryAfter: nil))
            }
            return .found(externalID: "inc-5", status: .open)
        })
        let harness = try await Self.run([("k", "firing", "s")], target: target)
        #expect(target.lookedUp == ["am:k", "am:k", "am:k"])
        #expect(target.calls.map(\.action) == [.update])
        #expect(harness.sink.letters.isEmpty)
    }

    /// When the lookup keeps failing, the event is a dead letter with the lookup's own reason: never a create
    /// without the check.
    @Test func aLookupThatKeepsFailingDeadLettersTheEventWithoutACreate() async throws {
        let target = ScriptedTarget(lookup: { _ in
            .failed(.retryable(TargetFailure(.unavailable, "down", httpStatus: 503), retryAfter: nil))
        })
        var policy = RetryPolicy()
        policy.initialBackoff = .milliseconds(1)
        policy.maxElapsed = .seconds(1)
        let harness = try await Self.run([("k", "firing", "s")], target: target, policy: policy)
        #expect(target.calls.isEmpty, "nothing created without the check")
        #expect(target.lookedUp.count > 1, "retried before giving up")
        let letter = try #require(harness.sink.letters.first)
        #expect(letter.reason == "target_unavailable")
        #expect(letter.stage == .deliver)
        #expect(letter.dedupKey == "am:k")
        #expect(letter.message.contains("lookup_unknown_keys"))
    }

    @Test func aRefusedLookupDeadLettersTheEventWithoutACreate() async throws {
        let target = ScriptedTarget(lookup: { _ in
            .failed(.permanent(TargetFailure(.forbidden, "no read scope", httpStatus: 403)))
        })
        let harness = try await Self.run([("k", "resolved", "s")], target: target)
        #expect(target.calls.isEmpty)
        #expect(target.lookedUp == ["am:k"], "a final refusal is not retried")
        #expect(harness.sink.letters.map(\.reason) == ["target_forbidden"])
    }

    /// A create that failed in this run without a clear answer (a 503: it may have reached the target) leaves its
    /// intent; the key's next event looks it up first, and when that lookup is refused the event is a dead letter that
    /// says which create is in doubt, without a second create.
    @Test func aCreateInDoubtFromThisRunWhoseLookupIsRefusedDeadLettersTheNextEvent() async throws {
        let target = ScriptedTarget(
            respond: { command, _ in
                command.action == .create
                    ? .retryable(TargetFailure(.unavailable, "no answer", httpStatus: 503), retryAfter: nil) : nil
            },
            lookup: { _ in .failed(.permanent(TargetFailure(.forbidden, "no read scope", httpStatus: 403))) }
        )
        var policy = RetryPolicy()
        policy.initialBackoff = .milliseconds(1)
        policy.maxElapsed = .seconds(1)
        let store = InMemoryIncidentStateStore()
        let harness = RunnerHarness(
            [
                .assigned([raw0]), message(0, 0, alertmanagerPayload([("k", "firing", "one")])),
                message(0, 1, alertmanagerPayload([("k", "firing", "two")])),
            ],
            target: target,
            store: store,
            policy: policy,
            lookupUnknownKeys: false
        )
        try await harness.run(untilFinished: 2)
        #expect(Set(target.calls.map(\.action)) == [.create], "only the first event's create was tried")
        #expect(target.calls.allSatisfy { $0.event.title.contains("one") })
        #expect(target.lookedUp == ["am:k"])
        let letters = harness.sink.letters
        #expect(letters.map(\.reason) == ["target_unavailable", "target_forbidden"])
        let doubt = try #require(letters.last)
        #expect(
            doubt.message.hasPrefix(
                "an earlier create for this key that ended without a clear answer may have reached scripted, and looking it up failed"
            ),
            "\(doubt.message)"
        )
        #expect(try await store.pendingIntents(target: "scripted").count == 1, "still in doubt")
    }
}

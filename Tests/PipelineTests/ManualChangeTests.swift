import Normalizer
import PipelineTestSupport
import Testing

@testable import Pipeline

/// `ingestor incidents forget|resolve`: the control record, the event it travels as, and what the correlator and the
/// runner do with it.
@Suite("Manual changes")
struct ManualChangeTests {
    static let at = Timestamp(millisecondsSinceEpoch: 1_764_748_800_000)

    static func change(_ action: ManualChange.Action, _ key: String = "am:k", target: String? = "t") -> ManualChange {
        ManualChange(action: action, dedupKey: key, target: target, reason: "closed in the UI", by: "ana@host", at: at)
    }

    static func open(_ store: InMemoryIncidentStateStore, _ key: String = "am:k") async throws {
        try await store.save(
            IncidentRecord(
                target: "t",
                dedupKey: key,
                externalID: "INC-1",
                status: .open,
                contentHash: 1,
                lastEventAt: at,
                createdAt: at
            )
        )
    }

    @Test func travelsAsAControlRecordAndAnEventAndComesBackWhole() throws {
        let change = Self.change(.resolve)
        let read = try ManualChange(value: change.value)
        #expect(read == change)
        #expect(ManualChange(event: change.event) == change)
        #expect(ManualChange.isManual(change.event))
        // Through the events topic's JSON, as the delivery stage reads it.
        let event = try NormalizedEvent(json: try JSONParser().parse(JSONWriter.bytes(change.event.jsonValue)))
        #expect(ManualChange(event: event) == change)
        #expect(throws: ManualChange.Invalid.self) { try ManualChange(value: Array(#"{"action":"delete"}"#.utf8)) }
        #expect(throws: ManualChange.Invalid.self) { try ManualChange(value: Array("not json".utf8)) }
    }

    @Test func resolveMarksTheRecordResolvedAndAuditsIt() async throws {
        let store = InMemoryIncidentStateStore()
        try await Self.open(store)
        let correlator = Correlator(store: store, target: "t")
        let entry = try await correlator.apply(Self.change(.resolve), at: Self.at, origin: "raw[0]@7")
        #expect(entry.decision == "manual_resolve")
        #expect(entry.reason == "resolved by hand by ana@host, no call to the target: closed in the UI")
        let record = try #require(try await store.record(target: "t", dedupKey: "am:k"))
        #expect(record.status == .resolved && record.externalID == "INC-1" && record.resolvedAt == Self.at)
        #expect(store.decisions.map(\.decision) == ["manual_resolve"])
        #expect(store.decisions.first?.origin == "raw[0]@7")
        // The problem firing again opens a new incident rather than updating the closed one.
        guard case .send(let command) = try await correlator.decide(sampleEvent(key: "am:k")) else {
            Issue.record("expected a create")
            return
        }
        #expect(command.action == .create)
        let again = try await correlator.apply(Self.change(.resolve), at: Self.at)
        #expect(again.decision == "ignore" && again.reason.hasSuffix("already resolved"))
    }

    @Test func forgetDropsTheRecordAndAuditsIt() async throws {
        let store = InMemoryIncidentStateStore()
        try await Self.open(store)
        let correlator = Correlator(store: store, target: "t")
        let entry = try await correlator.apply(Self.change(.forget), at: Self.at)
        #expect(entry.decision == "forget" && entry.externalID == "INC-1")
        #expect(try await store.record(target: "t", dedupKey: "am:k") == nil)
        #expect(store.decisions.map(\.decision) == ["forget"])
    }

    @Test func changesThatCannotApplyAreAuditedAsIgnoredAndChangeNothing() async throws {
        let store = InMemoryIncidentStateStore()
        let correlator = Correlator(store: store, target: "t")
        let nothing = try await correlator.apply(Self.change(.forget), at: Self.at)
        #expect(nothing.decision == "ignore" && nothing.reason.hasSuffix("nothing is recorded for this key"))
        try await Self.open(store)
        let elsewhere = try await correlator.apply(Self.change(.forget, target: "other"), at: Self.at)
        #expect(elsewhere.decision == "ignore" && elsewhere.reason.contains("names target other"))
        var pending = try #require(try await store.record(target: "t", dedupKey: "am:k"))
        pending.pending = IncidentRecord.PendingIntent(action: .create, since: Self.at)
        try await store.save(pending)
        let unsettled = try await correlator.apply(Self.change(.resolve), at: Self.at)
        #expect(unsettled.decision == "ignore" && unsettled.reason.contains("not settled yet"))
        #expect(try await store.record(target: "t", dedupKey: "am:k")?.status == .open)
        #expect(store.decisions.map(\.decision) == ["ignore", "ignore", "ignore"])
    }

    /// Through the runner: a control record on the raw topic is applied in order with the key's alerts and calls
    /// nothing; one it cannot read is dead-lettered.
    @Test func theRunnerAppliesControlRecordsInOrderAndRejectsUnreadableOnes() async throws {
        let firing = alertmanagerPayload([("k", "firing", "disk full")])
        let control = SourceMessage(
            position: MessagePosition(partition: PartitionID(topic: "raw", partition: 0), offset: 1),
            key: Array("am:k".utf8),
            value: Self.change(.resolve, target: nil).value,
            headers: [SourceMessage.Header(name: ManualChange.header, text: "resolve")]
        )
        let broken = SourceMessage(
            position: MessagePosition(partition: PartitionID(topic: "raw", partition: 0), offset: 2),
            key: nil,
            value: Array("{}".utf8),
            headers: [SourceMessage.Header(name: ManualChange.header, text: "resolve")]
        )
        let store = InMemoryIncidentStateStore()
        let harness = RunnerHarness(
            [message(0, 0, firing), .message(control), .message(broken)],
            store: store,
            lookupUnknownKeys: false
        )
        try await harness.run(untilFinished: 3)
        #expect(harness.target.calls.map(\.action) == [.create], "the resolve by hand calls nothing")
        #expect(try await store.record(target: harness.target.name, dedupKey: "am:k")?.status == .resolved)
        #expect(store.decisions.map(\.decision) == ["create", "manual_resolve"])
        #expect(harness.sink.letters.map(\.reason) == ["invalid_control_record"])
    }
}

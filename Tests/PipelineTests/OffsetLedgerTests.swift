import Testing

@testable import Pipeline

@Suite("Offset ledger")
struct OffsetLedgerTests {
    let p0 = PartitionID(topic: "t", partition: 0)
    let p1 = PartitionID(topic: "t", partition: 1)

    func at(_ partition: PartitionID, _ offset: Int64) -> MessagePosition {
        MessagePosition(partition: partition, offset: offset)
    }

    @Test func committableOffsetIsTheHighestContiguousFinishedPlusOne() {
        var ledger = OffsetLedger()
        let generation = ledger.track(p0)
        for offset in Int64(10)..<15 { ledger.begin(at(p0, offset), generation: generation) }
        #expect(ledger.finish(at(p0, 12), generation: generation) == nil, "12 finished before 10 and 11")
        #expect(ledger.finish(at(p0, 11), generation: generation) == nil)
        #expect(ledger.finish(at(p0, 10), generation: generation) == at(p0, 13), "10, 11, 12 now contiguous")
        #expect(ledger.finish(at(p0, 14), generation: generation) == nil)
        #expect(ledger.inFlight == 2)
        #expect(ledger.finish(at(p0, 13), generation: generation) == at(p0, 15))
        #expect(ledger.inFlight == 0)
    }

    @Test func partitionsAreIndependent() {
        var ledger = OffsetLedger()
        let g0 = ledger.track(p0)
        let g1 = ledger.track(p1)
        ledger.begin(at(p0, 0), generation: g0)
        ledger.begin(at(p1, 0), generation: g1)
        #expect(ledger.finish(at(p1, 0), generation: g1) == at(p1, 1))
        #expect(ledger.inFlight == 1)
    }

    @Test func finishesFromARevokedAssignmentAreIgnored() {
        var ledger = OffsetLedger()
        let old = ledger.track(p0)
        ledger.begin(at(p0, 5), generation: old)
        ledger.forget([p0])
        #expect(ledger.finish(at(p0, 5), generation: old) == nil)
        let new = ledger.track(p0)
        ledger.begin(at(p0, 5), generation: new)
        #expect(
            ledger.finish(at(p0, 5), generation: old) == nil,
            "a stale finish must not commit the new owner's message"
        )
        #expect(ledger.finish(at(p0, 5), generation: new) == at(p0, 6))
    }

    @Test func explicitAssignmentStartsTrackingOnFirstUse() {
        var ledger = OffsetLedger()
        let generation = ledger.generation(of: p0)
        #expect(ledger.generation(of: p0) == generation)
        ledger.begin(at(p0, 0), generation: generation)
        #expect(ledger.finish(at(p0, 0), generation: generation) == at(p0, 1))
    }

    /// The consumer went back (a seek, an offset reset, a refetch after a pause) while later offsets were in flight:
    /// no crash; tracking starts over, the older in-flight ones no longer commit, and the re-read ones do.
    @Test func anOffsetThatGoesBackStartsTheTrackingOver() {
        var ledger = OffsetLedger()
        let first = ledger.track(p0)
        for offset in Int64(10)..<13 { ledger.begin(at(p0, offset), generation: first) }
        let again = ledger.begin(at(p0, 11), generation: first)
        #expect(again != first, "a new generation for the re-read")
        #expect(ledger.finish(at(p0, 10), generation: first) == nil, "the old in-flight work commits nothing")
        #expect(ledger.begin(at(p0, 12), generation: again) == again)
        #expect(ledger.finish(at(p0, 11), generation: again) == at(p0, 12))
        #expect(ledger.finish(at(p0, 12), generation: again) == at(p0, 13))
        #expect(ledger.inFlight == 0)
    }
}

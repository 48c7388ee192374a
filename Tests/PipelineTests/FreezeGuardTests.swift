import Testing

@testable import Pipeline

@Suite("Freeze guard")
struct FreezeGuardTests {
    @Test func aLateTickHoldsCallsForTheConfirmWindowAndOnlyThen() {
        let start = ContinuousClock.now
        let freezes = FreezeGuard(settings: .init(freezeLimit: .seconds(2), confirmFor: .seconds(5)))
        freezes.tick(at: start)
        #expect(freezes.mayCall(at: start + .milliseconds(500)))
        // Ticks every 100 ms: no freeze.
        for step in 1...20 { freezes.tick(at: start + .milliseconds(100 * step)) }
        #expect(freezes.freezes == 0)
        let lastOnTime = start + .seconds(2)
        // Frozen: before the late tick arrives, the overdue tick alone already stops calls.
        #expect(!freezes.mayCall(at: lastOnTime + .seconds(3)))
        let woke = lastOnTime + .seconds(10)
        freezes.tick(at: woke)
        #expect(freezes.freezes == 1)
        #expect(!freezes.mayCall(at: woke + .seconds(4)))
        for step in 1...50 { freezes.tick(at: woke + .milliseconds(100 * step)) }
        #expect(freezes.freezes == 1)
        #expect(!freezes.mayCall(at: woke + .milliseconds(4900)), "held for the confirm window")
        #expect(freezes.mayCall(at: woke + .milliseconds(5050)))
    }

    @Test func aPartitionGoneDuringTheHoldEndsTheWaitWithItsError() async throws {
        struct Gone: Error {}
        let freezes = FreezeGuard(settings: .init(freezeLimit: .seconds(1), confirmFor: .seconds(60)))
        freezes.tick(at: .now - .seconds(30))
        freezes.tick()
        var checks = 0
        await #expect(throws: Gone.self) {
            try await freezes.waitUntilCallsMayGo {
                checks += 1
                if checks == 3 { throw Gone() }
            }
        }
        #expect(checks == 3)
    }
}

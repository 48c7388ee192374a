import Normalizer
import Testing

@testable import Pipeline

@Suite("Log budget")
struct LogBudgetTests {
    @Test func aFloodWritesTheFirstLinesAndASummaryPerInterval() {
        var budget = LogBudget(perInterval: 3, interval: .seconds(10))
        let t0 = Timestamp(rfc3339: "2026-12-03T10:00:00Z")!
        let first = (0..<50).map { budget.admit($0 % 5 == 0 ? "invalid_json" : "target_rejected", at: t0) }
        #expect(first.filter(\.write).count == 3)
        #expect(first.allSatisfy { $0.heldBack.isEmpty })
        #expect(budget.flush(at: t0.advanced(by: .seconds(9))).isEmpty, "not before the interval is over")
        // The next line after the interval reports what the last one held back, and is written itself.
        let next = budget.admit("invalid_json", at: t0.advanced(by: .seconds(11)))
        #expect(next.write)
        #expect(next.heldBack == ["invalid_json": 9, "target_rejected": 38])
        // A quiet end: the ticker's flush reports the rest.
        for _ in 0..<5 { _ = budget.admit("invalid_json", at: t0.advanced(by: .seconds(12))) }
        #expect(budget.flush(at: t0.advanced(by: .seconds(22))) == ["invalid_json": 3])
        #expect(budget.flush(at: t0.advanced(by: .seconds(40))).isEmpty)
        // Shutdown reports what the unfinished interval held back.
        for _ in 0..<4 { _ = budget.admit("bounce", at: t0.advanced(by: .seconds(41))) }
        #expect(budget.flush(at: t0.advanced(by: .seconds(42))).isEmpty)
        #expect(budget.flush(at: t0.advanced(by: .seconds(42)), force: true) == ["bounce": 1])
    }
}

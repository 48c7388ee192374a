import Foundation
import Synchronization
import Testing

// MARK: - IntakeAttackTests + Flood

extension IntakeAttackTests {
    /// 5,000 connections from 127.0.0.1: all but `intake.max_connections_per_address` are closed as soon as they are
    /// accepted while the sender on 127.0.0.2 keeps getting its 202s. Then 600 from twenty addresses against
    /// `intake.max_connections` 400: the listener never holds more, and `/metrics` answers within 50 ms throughout.
    @Test(.timeLimit(.minutes(3)))
    func floodedConnectionsAreClosedAtOnceWhileOthersAreServed() async throws {
        try await Self.withRig(limits: [
            "header_timeout: 3s", "max_connections: 400", "max_connections_per_address: 50",
        ]) { rig in
            let headerTimeout: Duration = .seconds(3)

            // One address, thousands of connections, opened 250 at a time and left silent.
            let floodOver = Flag()
            let observer = Task { try await Self.observe(rig, until: floodOver) }
            var flood: [RawConnection] = []
            for _ in 0..<20 { flood += await Self.open(250, to: rig, from: { _ in "127.0.0.1" }) }
            _ = await RawConnection.waitUntilClosed(flood, by: .now + headerTimeout + Self.slack * 2)
            floodOver.raise()
            let oneAddress = try await observer.value
            let afterOne = try await rig.scrape().text

            #expect(flood.count >= 4900, "the flood connected (\(flood.count) of 5000)")
            Self.expectClosed(flood, within: headerTimeout + Self.slack, "one address")
            // Each flood connection was closed at accept, or held one of the address's 50 places until its headers
            // were due: the server's counts add up, and the client saw the refusals at once.
            let perAddress = Self.closed("max_connections_per_address", afterOne)
            let heldOne = Self.closed("header_timeout", afterOne)
            #expect(perAddress + heldOne == flood.count, "\(perAddress) refused + \(heldOne) timed out")
            #expect(perAddress >= flood.count - 50 * 8, "all but a few generations of 50 were refused")
            #expect(
                Self.closedAtOnce(flood) >= perAddress * 95 / 100,
                "\(Self.closedAtOnce(flood)) seen closed at once"
            )
            #expect((oneAddress.openConnections.max() ?? 0) <= 51, "50 from the flood and the sender's one at most")
            #expect(
                (oneAddress.openConnections.max() ?? 0) >= 40,
                "the flood held its places while /metrics was sampled"
            )
            Self.expectServed(oneAddress, "one address")

            // Twenty addresses, 30 connections each: the total limit holds where the per-address one does not.
            let spreadOver = Flag()
            let spreadObserver = Task { try await Self.observe(rig, posting: false, until: spreadOver) }
            let spread = await Self.open(600, to: rig, from: { "127.0.0.\(10 + $0 % 20)" })
            _ = await RawConnection.waitUntilClosed(spread, by: .now + headerTimeout + Self.slack * 2)
            spreadOver.raise()
            let manyAddresses = try await spreadObserver.value
            let afterMany = try await rig.scrape().text

            #expect(spread.count == 600, "the flood connected")
            Self.expectClosed(spread, within: headerTimeout + Self.slack, "twenty addresses")
            let total = Self.closed("max_connections", afterMany)
            let heldMany = Self.closed("header_timeout", afterMany) - heldOne
            #expect(Self.closed("max_connections_per_address", afterMany) == perAddress, "30 an address is under 50")
            #expect(total + heldMany == spread.count, "\(total) refused + \(heldMany) timed out")
            #expect(total >= 100, "past 400 open, connections were closed at accept")
            #expect(Self.closedAtOnce(spread) >= total * 95 / 100, "\(Self.closedAtOnce(spread)) seen closed at once")
            #expect((manyAddresses.openConnections.max() ?? 0) <= 400, "never more than intake.max_connections open")
            #expect((manyAddresses.openConnections.max() ?? 0) >= 300, "the flood filled the listener")
            // A sender still pointed at the ops port, where the intake used to be, is told where it went.
            let misdirected = try await RawConnection.exchange(
                from: "127.0.0.2",
                to: rig.opsPort,
                on: rig.measurers,
                "POST /v1/ingest/am HTTP/1.1\r\nHost: ingestor\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            )
            #expect(misdirected.status == 421, "\(misdirected.text)")
            #expect(misdirected.text.contains("not on the ops port"), "\(misdirected.text)")
            Self.expectServed(
                manyAddresses,
                "twenty addresses: the intake is full, the ops listener is not",
                posting: false
            )
        }
    }

    /// Opens `count` silent connections, 250 at a time (at most 5,000 a second: a flood, but one that leaves this
    /// process's measurements some CPU), the i-th from `source(i)`.
    static func open(
        _ count: Int,
        to rig: Rig,
        from source: @escaping @Sendable (Int) -> String
    ) async -> [RawConnection] {
        var connections: [RawConnection] = []
        for start in stride(from: 0, to: count, by: 250) {
            connections += await withTaskGroup(of: RawConnection?.self) { group in
                for index in start..<min(start + 250, count) {
                    group.addTask { await rig.connect(from: source(index)) }
                }
                return await group.reduce(into: []) { if let connection = $1 { $0.append(connection) } }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return connections
    }

    /// How many of `connections` the client saw closed within ``slack`` of being up.
    static func closedAtOnce(_ connections: [RawConnection]) -> Int {
        connections.filter { $0.lifetime.map { $0 <= slack } == true }.count
    }

    /// Every connection was closed by the server, none later than `limit` after it was up.
    static func expectClosed(
        _ connections: [RawConnection],
        within limit: Duration,
        _ phase: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let late = connections.filter { $0.lifetime.map { $0 > limit } ?? true }
        #expect(
            late.isEmpty,
            "\(phase): \(late.count) not closed within \(limit), e.g. \(late.prefix(3).map { "\($0.lifetime.map { "\($0)" } ?? "open")" })",
            sourceLocation: sourceLocation
        )
    }

    /// `ingestor_intake_connections_closed_total{reason}` in a scrape.
    static func closed(_ reason: String, _ metrics: String) -> Int {
        Int(Rig.value(#"ingestor_intake_connections_closed_total{reason="\#(reason)"}"#, in: metrics) ?? -1)
    }
}

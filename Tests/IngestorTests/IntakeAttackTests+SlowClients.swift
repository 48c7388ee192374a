import Foundation
import Testing

// MARK: - IntakeAttackTests + SlowClients

extension IntakeAttackTests {
    /// 500 connections that never finish their headers, 50 authenticated bodies and 50 unauthenticated ones
    /// trickled a byte a second, and a kept-alive connection left idle: each is closed at its deadline (or, without
    /// credentials, answered 401 at once without its body being read), while the sender on 127.0.0.2 gets its 202s
    /// and `/metrics` answers within 50 ms every time.
    @Test(.timeLimit(.minutes(2)))
    func slowClientsAreClosedAtTheirDeadlinesWhileOthersAreServed() async throws {
        try await Self.withRig(limits: [
            "header_timeout: 2s", "body_timeout: 3s", "idle_timeout: 2s",
            // Room for every slow connection: here the deadlines, not the counts, must close them.
            "max_connections: 2000", "max_connections_per_address: 1000",
        ]) { rig in
            let done = Flag()
            let observer = Task { try await Self.observe(rig, until: done) }
            let head = "POST /v1/ingest/am HTTP/1.1\r\nHost: ingestor\r\nContent-Type: application/json\r\n"
            func open(_ count: Int, from source: String, sending text: String) async -> [RawConnection] {
                await withTaskGroup(of: RawConnection?.self) { group in
                    for _ in 0..<count {
                        group.addTask {
                            let connection = await rig.connect(from: source)
                            await connection?.send(text)
                            return connection
                        }
                    }
                    return await group.reduce(into: []) { if let connection = $1 { $0.append(connection) } }
                }
            }
            var headerless: [RawConnection] = []
            for _ in 0..<5 {
                headerless += await open(100, from: "127.0.0.1", sending: head + "X-Slow: ")
                try await Task.sleep(for: .milliseconds(50))
            }
            let bodies = await open(
                50,
                from: "127.0.0.3",
                sending: head + "Authorization: Bearer \(Self.token)\r\nContent-Length: 100000\r\n\r\n{"
            )
            let strangers = await open(50, from: "127.0.0.4", sending: head + "Content-Length: 100000\r\n\r\n{")
            let idle = await open(
                1,
                from: "127.0.0.5",
                sending: head + "Authorization: Bearer \(Self.token)\r\nContent-Length: 2\r\n\r\n{}"
            )
            let slow = headerless + bodies + strangers
            // One more byte a second on every slow connection still open: trickling must buy nothing.
            let trickle = Task {
                while !done.isRaised {
                    for (index, connection) in slow.enumerated() where connection.closed == nil {
                        await connection.send("a")
                        if index % 100 == 99 { try await Task.sleep(for: .milliseconds(20)) }
                    }
                    try await Task.sleep(for: .seconds(1))
                }
            }
            _ = await RawConnection.waitUntilClosed(slow + idle, by: .now + .seconds(3) + Self.slack * 2)
            done.raise()
            trickle.cancel()
            let observations = try await observer.value
            let metrics = try await rig.scrape().text

            #expect(headerless.count == 500 && bodies.count == 50 && strangers.count == 50, "all connected")
            expect(headerless, livedAbout: .seconds(2), "headers never finished (intake.header_timeout)")
            expect(bodies, livedAbout: .seconds(3), "a body trickled a byte a second (intake.body_timeout)")
            let unanswered = strangers.filter {
                !$0.received.hasPrefix("HTTP/1.1 401") || $0.lifetime.map { $0 > Self.slack } != false
            }
            #expect(
                unanswered.isEmpty,
                "401 from the headers, closed at once, \(unanswered.count) not: \(unanswered.first?.received ?? "")"
            )
            #expect(idle.first?.received.hasPrefix("HTTP/1.1 202") == true, "\(idle.first?.received ?? "")")
            expect(idle, livedAbout: .seconds(2), "a kept-alive connection left idle (intake.idle_timeout)")
            Self.expectServed(observations, "slow clients")
            #expect(
                Rig.value(#"ingestor_intake_connections_closed_total{reason="header_timeout"}"#, in: metrics) == 500
            )
            #expect(Rig.value(#"ingestor_intake_connections_closed_total{reason="body_timeout"}"#, in: metrics) == 50)
            #expect(Rig.value(#"ingestor_intake_connections_closed_total{reason="idle_timeout"}"#, in: metrics) == 1)
            #expect(
                Rig.value(#"ingestor_intake_rejected_total{source="am",reason="missing_credentials"}"#, in: metrics)
                    == 50
            )
        }
    }

    /// Every connection was closed by the server `timeout` after it opened, within ``slack``; not before half of
    /// it (when a connection is up is timed by this process, whose busy event loop may see it late; the metrics
    /// tell which deadline closed it).
    func expect(
        _ connections: [RawConnection],
        livedAbout timeout: Duration,
        _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let lifetimes = connections.map { $0.lifetime }
        let open = lifetimes.filter { $0 == nil }.count
        #expect(open == 0, "\(what): \(open) of \(connections.count) still open", sourceLocation: sourceLocation)
        let outside = lifetimes.compactMap { $0 }.filter { $0 < timeout / 2 || $0 > timeout + Self.slack }
        #expect(
            outside.isEmpty,
            "\(what): \(outside.count) closed outside \(timeout)…\(timeout + Self.slack), e.g. \(outside.prefix(3))",
            sourceLocation: sourceLocation
        )
    }
}

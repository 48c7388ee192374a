import NIOCore
import Testing

@testable import IngestorKit

/// The intake connection's deadlines as a state machine, with hand-made times: no sockets, no sleeping.
@Suite("Intake connection deadlines")
struct ConnectionDeadlinesTests {
    static var limits: IntakeConfiguration.ConnectionLimits {
        var limits = IntakeConfiguration.ConnectionLimits()
        limits.headerTimeout = .seconds(10)
        limits.bodyTimeout = .seconds(30)
        limits.idleTimeout = .seconds(60)
        return limits
    }

    static func at(_ seconds: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(seconds) * 1_000_000_000 + 1) }

    @Test func headersAreDueFromTheAcceptHoweverSlowlyTheyTrickle() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, acceptedAt: Self.at(100))
        #expect(deadlines.deadline?.at == Self.at(110))
        for second in 101...109 {
            #expect(deadlines.bytesReceived(at: Self.at(Int64(second))) == .none, "a byte does not move the deadline")
        }
        #expect(deadlines.wokeUp(at: Self.at(109)) == .wake(at: Self.at(110)))
        #expect(deadlines.wokeUp(at: Self.at(110)) == .close(.headerTimeout))
    }

    @Test func theWholeBodyIsDueFromTheHeaders() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, acceptedAt: Self.at(0))
        #expect(deadlines.headReceived(at: Self.at(3)) == .wake(at: Self.at(33)))
        #expect(deadlines.bytesReceived(at: Self.at(20)) == .none, "a trickled byte buys nothing")
        #expect(deadlines.wokeUp(at: Self.at(33)) == .close(.bodyTimeout))
    }

    @Test func noDeadlineRunsWhileAnsweringThenTheConnectionIdles() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, acceptedAt: Self.at(0))
        _ = deadlines.headReceived(at: Self.at(1))
        #expect(deadlines.endReceived() == .wake(at: nil), "the intake's ack_timeout bounds the answer")
        #expect(deadlines.responseEnded(at: Self.at(15), closing: false) == .wake(at: Self.at(75)))
        #expect(deadlines.wokeUp(at: Self.at(75)) == .close(.idleTimeout))
    }

    @Test func theNextRequestsFirstByteEndsTheIdleAndStartsItsHeaderDeadline() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, acceptedAt: Self.at(0))
        _ = deadlines.headReceived(at: Self.at(1))
        _ = deadlines.endReceived()
        _ = deadlines.responseEnded(at: Self.at(2), closing: false)
        #expect(deadlines.bytesReceived(at: Self.at(50)) == .wake(at: Self.at(60)))
        #expect(deadlines.wokeUp(at: Self.at(60)) == .close(.headerTimeout))
    }

    @Test func bytesThatArrivedDuringTheAnswerAreAStartedRequest() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, acceptedAt: Self.at(0))
        _ = deadlines.headReceived(at: Self.at(1))
        _ = deadlines.endReceived()
        _ = deadlines.bytesReceived(at: Self.at(2))
        #expect(deadlines.responseEnded(at: Self.at(4), closing: false) == .wake(at: Self.at(14)))
    }

    @Test func anAnswerBeforeTheBodyLingersThenCloses() {
        var limits = Self.limits
        limits.bodyTimeout = .seconds(1)
        var deadlines = ConnectionDeadlines(limits: limits, acceptedAt: Self.at(0))
        _ = deadlines.headReceived(at: Self.at(1))
        #expect(!deadlines.isLingering)
        let seconds = limits.lingerTimeout.components.seconds
        #expect(seconds == 1, "never longer than the body timeout")
        #expect(deadlines.responseEnded(at: Self.at(1), closing: true) == .lingerUntil(Self.at(1 + seconds)))
        #expect(deadlines.isLingering, "the rest of the body is discarded unread")
        #expect(deadlines.wokeUp(at: Self.at(1 + seconds)) == .close(nil), "an end, not a timeout to count")
    }

    @Test func anAnswerSayingCloseAfterTheWholeRequestClosesAtOnce() {
        var deadlines = ConnectionDeadlines(limits: Self.limits, acceptedAt: Self.at(0))
        _ = deadlines.headReceived(at: Self.at(1))
        _ = deadlines.endReceived()
        #expect(deadlines.responseEnded(at: Self.at(2), closing: true) == .close(nil))
    }
}

/// The intake's connection counts, in total and per address.
@Suite("Intake connection limiter")
struct ConnectionLimiterTests {
    @Test func refusesPastEitherLimitAndGivesPlacesBack() {
        let limiter = ConnectionLimiter(maxConnections: 3, maxConnectionsPerAddress: 2)
        #expect(limiter.admit(from: "10.0.0.1") == nil)
        #expect(limiter.admit(from: "10.0.0.1") == nil)
        #expect(limiter.admit(from: "10.0.0.1") == .maxConnectionsPerAddress)
        #expect(limiter.admit(from: "10.0.0.2") == nil)
        #expect(limiter.admit(from: "10.0.0.3") == .maxConnections)
        #expect(limiter.openConnections == 3, "refusals take no place")
        limiter.release(from: "10.0.0.1")
        #expect(limiter.admit(from: "10.0.0.3") == nil)
        #expect(limiter.admit(from: "10.0.0.1") == .maxConnections)
    }

    @Test func zeroPerAddressMeansOnlyTheTotalCounts() {
        let limiter = ConnectionLimiter(maxConnections: 2, maxConnectionsPerAddress: 0)
        #expect(limiter.admit(from: "10.0.0.1") == nil)
        #expect(limiter.admit(from: "10.0.0.1") == nil)
        #expect(limiter.admit(from: "10.0.0.1") == .maxConnections)
    }
}

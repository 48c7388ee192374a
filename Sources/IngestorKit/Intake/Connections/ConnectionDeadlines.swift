import NIOCore

/// The deadlines of one intake connection, as a state machine without I/O: ``ConnectionDeadlineHandler`` tells it
/// what happened on the connection and acts on the ``Action`` it returns.
///
/// - The request line and headers must arrive within `intake.header_timeout`, counted from the accept, or from the
///   first byte of a request on a kept-alive connection.
/// - The whole body must arrive within `intake.body_timeout` after the headers.
/// - A kept-alive connection may wait `intake.idle_timeout` for the first byte of its next request.
/// - While a request is being answered no deadline runs: the intake's own timeouts (`intake.ack_timeout`) bound it.
/// - An answer written before its request's body was read (a refusal from the headers) half-closes the
///   connection: what the client still sends is discarded for ``IntakeConfiguration/ConnectionLimits/lingerTimeout``,
///   so it reads the answer rather than a reset, then the connection closes.
struct ConnectionDeadlines {
    /// Which deadline passed: the `reason` label of `ingestor_intake_connections_closed_total`.
    enum Expiry: String, Sendable, CaseIterable {
        /// The headers did not arrive within `intake.header_timeout`.
        case headerTimeout = "header_timeout"
        /// The body did not arrive within `intake.body_timeout`.
        case bodyTimeout = "body_timeout"
        /// No request began within `intake.idle_timeout`.
        case idleTimeout = "idle_timeout"
    }

    /// What the handler does next.
    enum Action: Equatable {
        /// The deadline did not change.
        case none
        /// Wake up at this time (replacing any earlier wake-up), or never for `nil`.
        case wake(at: NIODeadline?)
        /// Close the connection; with the deadline that passed, or `nil` for an end nobody needs to count.
        case close(Expiry?)
        /// Shut the connection's output (the answer is out), discard input, and close at this time.
        case lingerUntil(NIODeadline)
    }

    private let limits: IntakeConfiguration.ConnectionLimits
    /// Heads read, requests read to their end, answers written to their end.
    private var started = 0
    private var finished = 0
    private var answered = 0
    /// Whether bytes arrived since the last head (a request has begun).
    private var requestBegun = false
    private var headDeadline: NIODeadline?
    private var bodyDeadline: NIODeadline?
    private var idleDeadline: NIODeadline?
    private var lingerDeadline: NIODeadline?

    /// A connection accepted at `now`: its headers are due within `intake.header_timeout`.
    init(limits: IntakeConfiguration.ConnectionLimits, acceptedAt now: NIODeadline) {
        self.limits = limits
        headDeadline = now + TimeAmount(limits.headerTimeout)
    }

    /// Whether the connection only waits to close after an early answer (its input is discarded).
    var isLingering: Bool { lingerDeadline != nil }

    /// The deadline that runs now and what passing it means.
    var deadline: (at: NIODeadline, expiry: Expiry?)? {
        if let lingerDeadline { return (lingerDeadline, nil) }
        if let bodyDeadline { return (bodyDeadline, .bodyTimeout) }
        if let headDeadline { return (headDeadline, .headerTimeout) }
        if let idleDeadline { return (idleDeadline, .idleTimeout) }
        return nil
    }

    /// Bytes arrived: on an idle connection the next request has begun, and its headers are now due.
    mutating func bytesReceived(at now: NIODeadline) -> Action {
        requestBegun = true
        guard idleDeadline != nil else { return .none }
        idleDeadline = nil
        headDeadline = now + TimeAmount(limits.headerTimeout)
        return .wake(at: deadline?.at)
    }

    /// A request's headers were read: its body is now due.
    mutating func headReceived(at now: NIODeadline) -> Action {
        started += 1
        requestBegun = false
        headDeadline = nil
        idleDeadline = nil
        bodyDeadline = now + TimeAmount(limits.bodyTimeout)
        return .wake(at: deadline?.at)
    }

    /// A request was read to its end: no deadline until it is answered.
    mutating func endReceived() -> Action {
        finished += 1
        bodyDeadline = nil
        return .wake(at: deadline?.at)
    }

    /// An answer was written to its end.
    /// - Parameter closing: the answer said `Connection: close`.
    mutating func responseEnded(at now: NIODeadline, closing: Bool) -> Action {
        answered += 1
        if answered > finished {
            // Answered before its body was read: stop talking, discard the rest for a while, then close.
            bodyDeadline = nil
            let until = now + TimeAmount(limits.lingerTimeout)
            lingerDeadline = until
            return .lingerUntil(until)
        }
        if closing { return .close(nil) }
        guard answered == started else { return .none }
        if requestBegun {
            headDeadline = now + TimeAmount(limits.headerTimeout)
        } else {
            idleDeadline = now + TimeAmount(limits.idleTimeout)
        }
        return .wake(at: deadline?.at)
    }

    /// The wake-up came: close if the deadline has passed, else wake again at it.
    func wokeUp(at now: NIODeadline) -> Action {
        guard let (at, expiry) = deadline else { return .wake(at: nil) }
        return at <= now ? .close(expiry) : .wake(at: at)
    }
}

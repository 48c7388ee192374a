import NIOCore

/// The first handler of an intake connection: it keeps the connection's ``ConnectionDeadlines`` with one timer and
/// closes the connection when a deadline passes.
///
/// It sees the raw bytes, so it knows when a request begins before its headers can be parsed; ``HTTPPartObserver``,
/// after the HTTP decoder, tells it where heads, ends and answers are. Hummingbird's own `idleTimeout` is not used:
/// it restarts at every body part, so a body trickled one byte at a time never times out, and it cannot tell
/// waiting for headers from an idle keep-alive.
/// - Important: bound to the connection's event loop, like every channel handler; ``HTTPPartObserver`` calls it
///   from the same loop.
final class ConnectionDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var deadlines: ConnectionDeadlines
    private let metrics: IntakeConnectionMetrics
    private var context: ChannelHandlerContext?
    private var wakeUp: Scheduled<Void>?
    private var wakeUpAt: NIODeadline?

    /// A handler for a connection accepted now.
    init(limits: IntakeConfiguration.ConnectionLimits, metrics: IntakeConnectionMetrics) {
        deadlines = ConnectionDeadlines(limits: limits, acceptedAt: .now())
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        act(.wake(at: deadlines.deadline?.at))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        wake(at: nil)
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        wake(at: nil)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After an early answer, whatever the client still sends is discarded unread.
        guard !deadlines.isLingering else { return }
        act(deadlines.bytesReceived(at: .now()))
        context.fireChannelRead(data)
    }

    /// A request's headers were decoded.
    func headReceived() { act(deadlines.headReceived(at: .now())) }

    /// A request was decoded to its end.
    func endReceived() { act(deadlines.endReceived()) }

    /// An answer was written to its end; `closing` when it said `Connection: close`.
    func responseEnded(closing: Bool) { act(deadlines.responseEnded(at: .now(), closing: closing)) }

    private func act(_ action: ConnectionDeadlines.Action) {
        guard let context else { return }
        switch action {
        case .none:
            break
        case .wake(let at):
            wake(at: at)
        case .close(let expiry):
            wake(at: nil)
            if let expiry { metrics.expired(expiry) }
            context.close(promise: nil)
        case .lingerUntil(let at):
            wake(at: at)
            context.close(mode: .output, promise: nil)
        }
    }

    /// Schedules the one wake-up at `at` (none for `nil`), replacing the previous one when it differs.
    private func wake(at: NIODeadline?) {
        guard at != wakeUpAt else { return }
        wakeUp?.cancel()
        wakeUp = nil
        wakeUpAt = at
        guard let at, let context else { return }
        wakeUp = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) { [self] in
            wakeUp = nil
            wakeUpAt = nil
            act(deadlines.wokeUp(at: .now()))
        }
    }
}

import NIOCore
import NIOHTTP1

/// Tells ``ConnectionDeadlineHandler`` where a connection's requests and answers are. It sits right after the HTTP
/// decoder, so it sees each request's head and end as they are decoded, and each answer's end once it is written.
/// - Important: bound to the connection's event loop, like every channel handler.
final class HTTPPartObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let deadlines: ConnectionDeadlineHandler
    private var closing = false

    /// An observer reporting to `deadlines`.
    init(reportingTo deadlines: ConnectionDeadlineHandler) {
        self.deadlines = deadlines
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines.headReceived()
        case .body: break
        case .end: deadlines.endReceived()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            closing = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            // Reported once the answer is on the wire, so a half-close that follows cannot cut it short.
            let written = promise ?? context.eventLoop.makePromise()
            let closing = closing
            let deadlines = deadlines
            written.futureResult.assumeIsolated().whenSuccess { deadlines.responseEnded(closing: closing) }
            context.write(data, promise: written)
        }
    }
}

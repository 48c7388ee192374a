import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A raw TCP connection from a chosen loopback address (all of 127.0.0.0/8 is loopback), for the slow and flooding
/// clients of the intake tests: it sends what it is told, keeps what it receives, and notes when the server closed it.
final class RawConnection: Sendable {
    /// What the connection saw, written on its event loop and read by the test.
    private final class Record: Sendable {
        let received = Mutex<[UInt8]>([])
        let opened = Mutex<ContinuousClock.Instant?>(nil)
        /// When a whole HTTP answer (head and `Content-Length` bytes of body) had arrived.
        let answered = Mutex<ContinuousClock.Instant?>(nil)
        let closed = Mutex<ContinuousClock.Instant?>(nil)
        /// Written as soon as the connection is up, from its event loop.
        let greeting: String?

        init(greeting: String?) {
            self.greeting = greeting
        }
    }

    /// Keeps the bytes and the time of the close.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let record: Record

        init(_ record: Record) {
            self.record = record
        }

        func channelActive(context: ChannelHandlerContext) {
            // Times are taken on the event loop, so a busy test process cannot stretch them.
            record.opened.withLock { $0 = .now }
            if let greeting = record.greeting {
                context.writeAndFlush(NIOAny(ByteBuffer(string: greeting)), promise: nil)
            }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            let received = record.received.withLock {
                $0 += bytes
                return $0
            }
            if record.answered.withLock({ $0 }) == nil, Self.isWholeAnswer(received) {
                record.answered.withLock { $0 = .now }
            }
        }

        /// Whether `bytes` hold an HTTP answer's head and as many body bytes as its `Content-Length` says.
        static func isWholeAnswer(_ bytes: [UInt8]) -> Bool {
            let text = String(decoding: bytes, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let length =
                text[..<end.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return text[end.upperBound...].utf8.count >= length
        }

        func channelInactive(context: ChannelHandlerContext) {
            record.closed.withLock { $0 = .now }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private let channel: any Channel
    private let record: Record

    private init(channel: any Channel, record: Record) {
        self.channel = channel
        self.record = record
    }

    /// Connects from `source` (a loopback address) to `127.0.0.1:port`.
    /// - Parameter greeting: sent from the event loop the moment the connection is up.
    static func open(
        from source: String,
        to port: Int,
        on group: any EventLoopGroup,
        greeting: String? = nil
    ) async throws -> RawConnection {
        let record = Record(greeting: greeting)
        let channel = try await ClientBootstrap(group: group)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(record))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, record: record)
    }

    /// Sends `text`; a connection the server closed ignores it.
    func send(_ text: String) async {
        try? await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// When the server closed the connection, if it did.
    var closed: ContinuousClock.Instant? { record.closed.withLock { $0 } }

    /// When the connection was established.
    var opened: ContinuousClock.Instant { record.opened.withLock { $0 } ?? .now }

    /// How long the connection lived, if the server closed it.
    var lifetime: Duration? { closed.map { $0 - opened } }

    /// What the server sent.
    var received: String { String(decoding: record.received.withLock { $0 }, as: UTF8.self) }

    /// Waits up to `timeout` for the server to close the connection; returns whether it did.
    func waitUntilClosed(within timeout: Duration) async -> Bool {
        await Self.waitUntilClosed([self], by: .now + timeout)
    }

    /// Waits until the server closed every one of `connections`, or until `deadline` (or cancellation); returns
    /// whether all were closed.
    static func waitUntilClosed(_ connections: [RawConnection], by deadline: ContinuousClock.Instant) async -> Bool {
        var open = connections[...]
        while true {
            while let first = open.first, first.closed != nil { open = open.dropFirst() }
            guard !open.isEmpty, ContinuousClock.now < deadline, !Task.isCancelled else { return open.isEmpty }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Closes the connection from this side.
    func close() {
        channel.close(promise: nil)
    }

    /// One request on a connection of its own (`Connection: close`), sent the moment it is connected: the answer's
    /// status, text, and the time from the connection being up to the whole answer being in, both taken on the event
    /// loop.
    static func exchange(
        from source: String,
        to port: Int,
        on group: any EventLoopGroup,
        _ request: String
    ) async throws -> (status: Int, elapsed: Duration, text: String) {
        let connection = try await open(from: source, to: port, on: group, greeting: request)
        defer { connection.close() }
        _ = await connection.waitUntilClosed(within: .seconds(10))
        let status = connection.received.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) }
        let answered = connection.record.answered.withLock { $0 } ?? connection.closed ?? .now
        return (status ?? 0, answered - connection.opened, connection.received)
    }
}

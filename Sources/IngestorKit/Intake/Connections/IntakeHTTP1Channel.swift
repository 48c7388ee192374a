import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 channel with the intake's connection limits.
///
/// A connection over `intake.max_connections`, or over `intake.max_connections_per_address` from its address, is
/// closed as soon as it is accepted, before any of its bytes are read, and counted. An admitted one gets a
/// ``ConnectionDeadlineHandler`` in front of the HTTP decoder and an ``HTTPPartObserver`` right after it.
struct IntakeHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    private struct Refused: Error {
        var reason: ConnectionLimiter.Refusal
    }

    let http1: HTTP1Channel
    let limits: IntakeConfiguration.ConnectionLimits
    let limiter: ConnectionLimiter
    let metrics: IntakeConnectionMetrics

    /// Wraps the HTTP/1 channel for `responder` (without Hummingbird's idle timeout: the deadline handler owns the
    /// connection's timers).
    init(
        responder: @escaping HTTPChannelHandler.Responder,
        limits: IntakeConfiguration.ConnectionLimits,
        limiter: ConnectionLimiter,
        metrics: IntakeConnectionMetrics
    ) {
        http1 = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: nil))
        self.limits = limits
        self.limiter = limiter
        self.metrics = metrics
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        if let refusal = limiter.admit(from: address) {
            metrics.refused(refusal)
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(Refused(reason: refusal))
        }
        channel.closeFuture.whenComplete { [limiter] _ in limiter.release(from: address) }
        let deadlines = ConnectionDeadlineHandler(limits: limits, metrics: metrics)
        do {
            try channel.pipeline.syncOperations.addHandler(deadlines)
        } catch {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Hummingbird's setup completes on this loop at once, so the observer is in place before any byte is read.
        return http1.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTPPartObserver(reportingTo: deadlines), position: .after(decoder))
            return value
        }.nonisolated().always { result in
            if case .failure = result { channel.close(promise: nil) }
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

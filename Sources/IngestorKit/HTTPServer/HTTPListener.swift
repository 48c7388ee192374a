import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP listener of the worker (the ops endpoints, the webhook intake): a Hummingbird application on an event
/// loop group of its own, made when the listener starts and shut down when it stops, so a flood on one listener
/// cannot delay another's accepts, reads and writes.
struct HTTPListener: Service {
    /// Where the listener's request handlers run.
    enum Handlers: Sendable {
        /// On Swift's shared cooperative pool (the intake, whose handlers await Kafka).
        case cooperativePool
        /// On the listener's own event loop thread (the ops endpoints, which answer from memory at once): nothing
        /// queued on the pool can delay them.
        case eventLoop
    }

    let responder: RouterResponder<BasicRequestContext>
    let host: String
    let port: Int
    /// The `Server` header.
    let name: String
    /// Event loop threads.
    let threads: Int
    /// Added to the threads' nice value (Linux keeps one per thread), so that when the CPU is short the scheduler
    /// prefers the rest of the worker to this listener; 0 leaves them as they are.
    let niceness: Int32
    let handlers: Handlers
    /// The HTTP channel; Hummingbird's plain HTTP/1 by default.
    let server: HTTPServerBuilder
    let logger: Logger
    /// Told the port once the listener listens (tests and port 0).
    let bound: @Sendable (Int) -> Void

    /// A listener for `router` on `host:port`.
    init(
        _ router: Router<BasicRequestContext>,
        host: String,
        port: Int,
        name: String,
        threads: Int,
        niceness: Int32 = 0,
        handlers: Handlers,
        server: HTTPServerBuilder = .http1(),
        logger: Logger,
        bound: @escaping @Sendable (Int) -> Void
    ) {
        responder = router.buildResponder()
        self.host = host
        self.port = port
        self.name = name
        self.threads = threads
        self.niceness = niceness
        self.handlers = handlers
        self.server = server
        self.logger = logger
        self.bound = bound
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        if niceness != 0 {
            for loop in group.makeIterator() {
                try? await loop.submit { [niceness] in Self.renice(by: niceness) }.get()
            }
        }
        // Hummingbird logs every connection at debug and more; the listener keeps only its warnings.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let bound = bound
        let application = Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { bound(port) }
            },
            eventLoopGroupProvider: .shared(group),
            logger: quiet
        )
        let outcome: Result<Void, any Error>
        do {
            switch handlers {
            case .cooperativePool:
                try await application.run()
            case .eventLoop:
                try await withTaskExecutorPreference(EventLoopTaskExecutor(group.next())) {
                    try await application.run()
                }
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()
        try outcome.get()
    }

    /// Adds `niceness` to the calling thread's nice value (on Linux `setpriority` with 0 names the calling thread).
    private static func renice(by niceness: Int32) {
        #if canImport(Glibc)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        _ = setpriority(which, 0, getpriority(which, 0) + niceness)
        #endif
    }
}

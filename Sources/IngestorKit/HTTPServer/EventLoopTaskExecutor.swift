import NIOCore

/// Runs Swift tasks on one NIO event loop's thread, so work that must stay prompt (the ops endpoints) does not
/// queue behind everything else on the shared cooperative pool.
///
/// - Important: whatever runs here must not block: it shares the thread with that loop's network I/O.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    /// An executor for `eventLoop`'s thread.
    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

import Logging

#if canImport(Glibc)
import Glibc
#endif

// MARK: - IntakeRoutes + FileDescriptors

extension IntakeRoutes {
    /// File descriptors the rest of the worker needs besides the intake's connections: Kafka, the incident API,
    /// the state file, the ops listener and its scrapes.
    static let reservedFileDescriptors = 256

    /// Warns when `intake.max_connections` does not fit under the process's file-descriptor limit with room for
    /// the rest: running out of descriptors stops the ops endpoints (and Kafka) from opening connections at all.
    static func checkFileDescriptors(_ limits: IntakeConfiguration.ConnectionLimits, logger: Logger) {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return }
        let available = Int(clamping: limit.rlim_cur)
        guard limits.maxConnections + reservedFileDescriptors > available else { return }
        logger.warning(
            "intake.max_connections (\(limits.maxConnections)) leaves fewer than \(reservedFileDescriptors) of the process's \(available) file descriptors (ulimit -n) for Kafka, the incident API and the ops endpoints: lower it, or raise the limit"
        )
        #endif
    }
}

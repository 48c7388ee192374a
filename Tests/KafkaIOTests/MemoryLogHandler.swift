import Logging
import Synchronization

/// A log handler that keeps every entry in memory, for tests that assert what was logged.
struct MemoryLogHandler: LogHandler {
    /// One logged entry: its level, text and `kafka.error` metadata.
    struct Entry: Sendable, Hashable {
        var level: Logger.Level
        var message: String
        var error: String?
    }

    /// The entries, shared by every copy of the handler.
    final class Store: Sendable {
        let entries = Mutex<[Entry]>([])

        /// Everything logged so far.
        var logged: [Entry] { entries.withLock { $0 } }

        /// A logger writing here.
        var logger: Logger { Logger(label: "memory") { _ in MemoryLogHandler(store: self) } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let error = (event.metadata?["kafka.error"]).map { "\($0)" }
        store.entries.withLock { $0.append(Entry(level: event.level, message: "\(event.message)", error: error)) }
    }
}

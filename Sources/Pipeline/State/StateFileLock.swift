#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock on `<path>.lock` that makes one process the only writer of a state file: the store caches its
/// records, so a second writer could open duplicate incidents. Released when the lock is released or the process
/// ends (a crash included); the file notes the holder's pid.
public final class StateFileLock: Sendable {
    /// The open lock file.
    private let descriptor: Int32

    /// Another process holds the state file.
    public struct InUse: Error, CustomStringConvertible {
        /// The state file.
        public var path: String
        /// What the lock file says about its holder.
        public var holder: String

        public var description: String {
            "\(path) is in use by another ingestor process (\(holder)); its records are cached there, so a second "
                + "writer could open duplicate incidents. Stop it first, or replay onto the raw topic with --to-topic"
        }
    }

    /// The lock file cannot be created or opened (a missing directory, no permission): nobody holds it.
    public struct Unavailable: Error, CustomStringConvertible {
        /// The state file.
        public var path: String
        /// The lock file.
        public var lockPath: String
        /// What the system said.
        public var reason: String

        public var description: String { "cannot create its lock file \(lockPath): \(reason)" }
    }

    /// Takes the lock of the state file at `path`.
    /// - Throws: ``InUse`` when another process holds it, ``Unavailable`` when the lock file cannot be opened.
    public init(path: String) throws {
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Unavailable(path: path, lockPath: lockPath, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = read(descriptor, &buffer, buffer.count)
            close(descriptor)
            let holder = String(decoding: buffer.prefix(max(0, count)).filter { $0 != 0x0A }, as: UTF8.self)
            throw InUse(path: path, holder: holder.isEmpty ? "lock held" : holder)
        }
        let note = Array("pid \(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, note, note.count, 0)
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }
}

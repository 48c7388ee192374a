/// A credential value that never prints itself.
///
/// `description`, `debugDescription` and reflection all show `<redacted>`, so a secret interpolated into a log line,
/// an error or a `dump` by mistake does not leak. Use ``exposedValue`` only where the value goes on the wire.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    /// Wraps a credential.
    public init(_ value: String) {
        self.value = value
    }

    /// The credential itself, for the request that needs it.
    public var exposedValue: String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// Names a decoder, or `auto` for detection from the payload's shape.
public struct SourceFormat: Sendable, Hashable, CustomStringConvertible {
    /// The spelling used in the config and in the `ingestor-format` header.
    public let name: String

    /// Creates a format from its spelling; whether a decoder exists is checked by ``Normalizer``.
    public init(_ name: String) {
        self.name = name.lowercased()
    }

    /// Detect the format from the payload's shape (INPUT-FORMATS.md §0.1).
    public static let auto = SourceFormat("auto")
    /// Prometheus Alertmanager webhook, version 4.
    public static let alertmanager = SourceFormat("alertmanager")

    public var description: String { name }
}

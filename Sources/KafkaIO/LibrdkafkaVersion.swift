/// A librdkafka version, and the minimum this wrapper supports.
public struct LibrdkafkaVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Major version.
    public var major: Int
    /// Minor version.
    public var minor: Int
    /// Patch version.
    public var patch: Int
    /// The version as librdkafka spells it.
    public var text: String

    /// Creates a version.
    public init(major: Int, minor: Int, patch: Int, text: String? = nil) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.text = text ?? "\(major).\(minor).\(patch)"
    }

    /// The oldest librdkafka this wrapper runs on: 2.0.0, the oldest line it is tested with (Debian 12 ships
    /// 2.0.2). It needs `rd_kafka_produceva`, incremental rebalancing, and `rd_kafka_offsets_store` refusing
    /// partitions that are not assigned (1.9), and the mock cluster's fault-injection calls.
    public static let minimum = LibrdkafkaVersion(major: 2, minor: 0, patch: 0)

    public static func < (lhs: LibrdkafkaVersion, rhs: LibrdkafkaVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String { text }

    /// Refuses to run on a librdkafka older than ``minimum``.
    /// - Throws: ``KafkaError/Code/versionTooOld`` with both versions in the message.
    public static func checkRuntime() throws(KafkaError) {
        let runtime = Self.runtime
        guard runtime >= minimum else {
            throw KafkaError(
                .versionTooOld,
                "librdkafka \(runtime) is older than the supported minimum \(minimum); install a newer librdkafka-dev"
            )
        }
    }
}

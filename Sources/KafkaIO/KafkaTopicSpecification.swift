/// A topic to create.
public struct KafkaTopicSpecification: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// The number of partitions.
    public var partitions: Int
    /// The number of replicas per partition; default 1.
    public var replicationFactor: Int
    /// Topic-level configs (e.g. `cleanup.policy`).
    public var configs: [String: String]

    /// Creates a specification.
    public init(name: String, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }

    /// Parses `NAME:PARTITIONS` (partitions default to `defaultPartitions` when omitted).
    public init?(parsing text: String, defaultPartitions: Int = 1) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty, parts.count <= 2 else { return nil }
        if parts.count == 2 {
            guard let count = Int(parts[1]), count > 0 else { return nil }
            self.init(name: String(name), partitions: count)
        } else {
            self.init(name: String(name), partitions: defaultPartitions)
        }
    }
}

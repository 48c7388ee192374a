import Normalizer

/// Where the changelog is written (a compacted Kafka topic through ``KafkaChangelog``).
public protocol ChangelogSink: Sendable {
    /// Hands one entry over for `partition`, written under a claim (`epoch`, `owner`); entries handed over one
    /// after the other for one partition are stored in that order.
    /// - Returns: what waits for the entry's acknowledgement and tells its offset.
    func send(
        _ entry: ChangelogEntry,
        partition: Int32,
        epoch: Int64,
        owner: String
    ) async throws
        -> ChangelogReceipt
}

/// Waits for one changelog entry's acknowledgement.
public struct ChangelogReceipt: Sendable {
    private let wait: @Sendable () async throws -> Int64

    /// Creates a receipt that waits with `wait`, which returns the entry's offset.
    public init(_ wait: @escaping @Sendable () async throws -> Int64) {
        self.wait = wait
    }

    /// The entry's offset, once it is durably stored; await it once.
    public func offset() async throws -> Int64 {
        try await wait()
    }
}

/// One changelog record as a restore reads it.
public struct ChangelogRecord: Sendable, Hashable {
    /// Its offset in its partition.
    public var offset: Int64
    /// What it says; `nil` for a record this build cannot read.
    public var entry: ChangelogEntry?
    /// The claim it was written under.
    public var epoch: Int64
    /// The worker that wrote it.
    public var owner: String

    /// Creates a record.
    public init(offset: Int64, entry: ChangelogEntry?, epoch: Int64, owner: String) {
        self.offset = offset
        self.entry = entry
        self.epoch = epoch
        self.owner = owner
    }
}

/// Where a partition's changelog is read from, for a restore.
public protocol ChangelogSource: Sendable {
    /// Every record of `partition` from `offset` up to the end as it was when the call began, in order.
    /// - Parameter remaining: told, now and then while reading, how many records are left to read.
    func read(
        partition: Int32,
        from offset: Int64,
        remaining: @escaping @Sendable (Int64) -> Void
    ) async throws -> [ChangelogRecord]
}

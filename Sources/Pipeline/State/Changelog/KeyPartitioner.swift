/// Which partition a record key lands on: Kafka's murmur2 partitioner, as librdkafka's `murmur2_random` and the
/// Java client compute it, so the delivery stage knows which events partition (and so which owner) a dedup key
/// belongs to without asking the broker.
public struct KeyPartitioner: Sendable, Hashable {
    /// The topic's partition count.
    public let partitions: Int

    /// Creates a partitioner for a topic of `partitions` partitions.
    public init(partitions: Int) {
        self.partitions = max(1, partitions)
    }

    /// The partition of `key`.
    public func partition(of key: String) -> Int32 {
        Int32(Int(Self.murmur2(Array(key.utf8)) & 0x7fff_ffff) % partitions)
    }

    /// Murmur2, 32-bit, with Kafka's seed (`Utils.murmur2` in the Java client, `rd_murmur2` in librdkafka).
    public static func murmur2(_ data: [UInt8]) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        var index = 0
        while data.count - index >= 4 {
            var k =
                UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16
                | UInt32(data[index + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
            index += 4
        }
        let rest = data.count - index
        if rest == 3 { h ^= UInt32(data[index + 2]) << 16 }
        if rest >= 2 { h ^= UInt32(data[index + 1]) << 8 }
        if rest >= 1 {
            h ^= UInt32(data[index])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }
}

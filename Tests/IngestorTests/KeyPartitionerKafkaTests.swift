import KafkaIO
import Pipeline
import Testing

/// The delivery stage finds a key's owner by computing its partition: that must be the partition librdkafka's
/// murmur2 partitioner (the events producer's) really put it on.
@Suite("Key partitioner against librdkafka")
struct KeyPartitionerKafkaTests {
    @Test func computedPartitionsAreTheOnesTheProducerChose() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: e2eLogger)
        let topic = "keys.events"
        try cluster.createTopic(topic, partitions: 12)
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
        configuration.overrides = ["partitioner": "murmur2_random"]
        let producer = try KafkaProducer(configuration: configuration, logger: e2eLogger)
        let partitioner = KeyPartitioner(partitions: 12)
        let keys =
            ["", "a", "ab", "abc", "abcd", "am:f1", "group:alertmanager:alertname=DiskFull,cluster=c1", "éè ✓"]
            + (0..<200).map { "am:\($0 * 7919)" }
        var seen: Set<Int32> = []
        for key in keys where !key.isEmpty {
            let report = try await producer.send(topic: topic, key: Array(key.utf8), value: [1])
            #expect(report.topicPartition.partition == partitioner.partition(of: key), "\(key)")
            seen.insert(report.topicPartition.partition)
        }
        #expect(seen.count == 12, "the keys cover every partition")
        await producer.close(timeout: .seconds(5))
    }

    @Test func murmur2MatchesKafkasReferenceValues() {
        // Values from the Java client's UtilsTest (murmur2 of UTF-8 strings, as signed ints).
        let cases: [(String, Int32)] = [
            ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (text, expected) in cases {
            #expect(Int32(bitPattern: KeyPartitioner.murmur2(Array(text.utf8))) == expected, "\(text)")
        }
    }
}

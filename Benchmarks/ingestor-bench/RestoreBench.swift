import Foundation
import KafkaIO
import Logging
import Normalizer
import Pipeline

/// Restoring partition-owned state from the changelog (issue 16): a new host with an empty disk reads every
/// record; a restart on the same disk reads only the changelog's tail after its checkpoint.
extension IngestorBench {
    func restore(keys: Int, logger: Logger) async throws {
        let partitions = 16
        let topic = "restore.changelog"
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        // The mock keeps about 5 MiB per partition: 100,000 records of ~450 B need at least 9.
        try cluster.createTopic(topic, partitions: partitions)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-restore-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let t0 = Timestamp(rfc3339: "2026-12-03T08:00:00Z")!

        func open(_ file: String, owner: String) throws -> (store: PartitionedStateStore, producer: KafkaProducer) {
            var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServerList)
            producerConfiguration.deliveryTimeout = .zero
            producerConfiguration.linger = .milliseconds(1)
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
            let changelog = KafkaChangelog(
                topic: topic,
                producer: producer,
                admin: try KafkaAdmin(bootstrapServers: cluster.bootstrapServerList, logger: logger),
                consumerConfiguration: KafkaConsumerConfiguration(
                    bootstrapServers: cluster.bootstrapServerList,
                    groupID: "bench-restore"
                ),
                logger: logger
            )
            let store = PartitionedStateStore(
                partitioner: KeyPartitioner(partitions: partitions),
                cache: try SQLiteIncidentStateStore(
                    path: directory.appendingPathComponent(file).path,
                    cacheCapacity: keys * 2,
                    now: t0
                ),
                changelog: changelog,
                source: changelog,
                owner: owner,
                logger: logger
            )
            return (store, producer)
        }

        // One owner writes a record per key, as the delivery stage would after each create.
        let writer = try open("writer.sqlite", owner: "writer")
        for partition in 0..<Int32(partitions) { _ = try await writer.store.restore(partition) }
        let written = try await Measurement.of {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let lanes = 64
                for lane in 0..<lanes {
                    group.addTask {
                        for index in stride(from: lane, to: keys, by: lanes) {
                            let record = IncidentRecord(
                                target: "devrev",
                                dedupKey: "am:restore-\(index)",
                                externalID: "don:core:dvrv-us-1:devo/bench:incident/\(index)",
                                status: .open,
                                contentHash: UInt64(index) &* 0x9E37_79B9_7F4A_7C15,
                                lastEventAt: t0,
                                createdAt: t0
                            )
                            try await writer.store.save(record, decisions: [])
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        for partition in 0..<Int32(partitions) { await writer.store.release(partition) }
        await writer.producer.close(timeout: .seconds(10))

        // A new host: an empty state file, every partition restored from the changelog's beginning.
        let fresh = try open("host.sqlite", owner: "host")
        // As a rebalance restores them: PartitionedStateStore.restoreWidth partitions at a time.
        let all = Array(0..<Int32(partitions))
        func restoreAll(_ store: PartitionedStateStore) async throws -> Int {
            let restored = await PartitionedStateStore.eachPartition(all) { partition in
                do {
                    return Result<Int, any Error>.success(try await store.restore(partition).read)
                } catch {
                    return .failure(error)
                }
            }
            return try restored.values.reduce(0) { $0 + (try $1.get()) }
        }
        var read = 0
        let empty = try await Measurement.of { read = try await restoreAll(fresh.store) }
        let sample = try await fresh.store.record(target: "devrev", dedupKey: "am:restore-\(keys - 1)")
        for partition in 0..<Int32(partitions) { await fresh.store.release(partition) }
        await fresh.producer.close(timeout: .seconds(10))

        // The same host restarted: the file's checkpoints leave only the tail (the last claims) to read.
        let again = try open("host.sqlite", owner: "host-restarted")
        var readAgain = 0
        let local = try await Measurement.of { readAgain = try await restoreAll(again.store) }
        for partition in 0..<Int32(partitions) { await again.store.release(partition) }
        await again.producer.close(timeout: .seconds(10))

        print(
            String(
                format:
                    "restore          %8d keys over %d partitions: written in %.2f s; empty disk %6.2f s wall %6.2f s cpu (%d records read); same disk %6.2f s wall %6.2f s cpu (%d records read); last key restored: %@",
                keys,
                partitions,
                written.wallSeconds,
                empty.wallSeconds,
                empty.cpuSeconds,
                read,
                local.wallSeconds,
                local.cpuSeconds,
                readAgain,
                sample?.externalID == "don:core:dvrv-us-1:devo/bench:incident/\(keys - 1)" ? "yes" : "NO"
            )
        )
    }
}

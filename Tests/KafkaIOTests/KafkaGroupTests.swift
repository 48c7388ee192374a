import KafkaIO
import Synchronization
import Testing

/// Records what one group member saw, while its event loop runs in a task.
final class MemberLog: Sendable {
    let assigned = Mutex<Set<KafkaTopicPartition>>([])
    let messages = Mutex<[KafkaMessage]>([])

    var assignment: Set<KafkaTopicPartition> { assigned.withLock { $0 } }
    var received: [KafkaMessage] { messages.withLock { $0 } }

    func follow(_ consumer: KafkaConsumer) async throws {
        for try await event in consumer.events {
            switch event {
            case .partitionsAssigned(let partitions): assigned.withLock { $0.formUnion(partitions) }
            case .partitionsRevoked(let partitions): assigned.withLock { $0.subtract(partitions) }
            case .message(let message):
                messages.withLock { $0.append(message) }
                try consumer.store([KafkaTopicPartitionOffset(message.topicPartition, offset: message.offset + 1)])
            case .idle: continue
            }
        }
    }
}

/// Polls `condition` until it holds.
func eventually(
    _ what: String,
    timeout: Duration = .seconds(30),
    _ condition: @escaping @Sendable () -> Bool
) async throws {
    try await within(timeout, what) {
        while !condition() { try await Task.sleep(for: .milliseconds(50)) }
    }
}

@Suite("Kafka consumer groups")
struct KafkaGroupTests {
    @Test func twoConsumersSplitPartitionsAndOneTakesOverWhenTheOtherLeaves() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 4)
        let group = "g-\(topic)"
        let first = try makeConsumer(group: group)
        let second = try makeConsumer(group: group)
        try first.subscribe(topics: [topic])
        try second.subscribe(topics: [topic])
        let firstLog = MemberLog()
        let secondLog = MemberLog()
        let firstTask = Task { try await firstLog.follow(first) }
        let secondTask = Task { try await secondLog.follow(second) }

        try await eventually("both members assigned") {
            let a = firstLog.assignment
            let b = secondLog.assignment
            return !a.isEmpty && !b.isEmpty && a.union(b).count == 4 && a.isDisjoint(with: b)
        }

        let producer = try makeProducer()
        for partition in Int32(0)..<4 {
            try await producer.send(topic: topic, partition: partition, key: nil, value: "before-\(partition)".bytes)
        }
        try await eventually("all four read once") { firstLog.received.count + secondLog.received.count == 4 }
        #expect(Set(firstLog.received.map(\.partition)) == Set(firstLog.assignment.map(\.partition)))
        #expect(Set(secondLog.received.map(\.partition)) == Set(secondLog.assignment.map(\.partition)))

        secondTask.cancel()
        _ = await secondTask.result
        try await second.close()
        try await eventually("first member owns all partitions") { firstLog.assignment.count == 4 }

        for partition in Int32(0)..<4 {
            try await producer.send(topic: topic, partition: partition, key: nil, value: "after-\(partition)".bytes)
        }
        try await eventually("first member reads every partition after takeover") {
            Set(firstLog.received.filter { $0.value.starts(with: "after".bytes) }.map(\.partition)) == [0, 1, 2, 3]
        }
        // The second member's progress was committed when it left: nothing from before is read twice.
        #expect(firstLog.received.filter { $0.value.starts(with: "before".bytes) }.count == firstLog.received.count - 4)
        firstTask.cancel()
        _ = await firstTask.result
        try await first.close()
    }

    @Test func committedProgressSurvivesRestartAndUncommittedIsRedelivered() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 1)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let producer = try makeProducer()
        for index in 0..<10 { try await producer.send(topic: topic, key: nil, value: "m\(index)".bytes) }
        let group = "g-\(topic)"

        let first = try makeConsumer(group: group)
        try first.subscribe(topics: [topic])
        let firstRead = try await collectMessages(first, count: 10)
        #expect(firstRead.map(\.offset) == Array(0..<10))
        // Only the first five reached a final outcome.
        try first.store([KafkaTopicPartitionOffset(partition, offset: 5)])
        try await first.commit()
        #expect(try await first.committed([partition]).first?.offset == 5)
        try await first.close()

        let second = try makeConsumer(group: group)
        try second.subscribe(topics: [topic])
        // Generous: the new member's join may wait out the old member's session when the machine is busy.
        let secondRead = try await collectMessages(second, count: 5, timeout: .seconds(60))
        #expect(secondRead.map(\.offset) == [5, 6, 7, 8, 9])
        try await second.close()
    }

    @Test func storingAnOffsetForAnUnassignedPartitionFails() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 2)
        let consumer = try makeConsumer(group: "g-\(topic)")
        try consumer.assign([
            KafkaTopicPartitionOffset(
                KafkaTopicPartition(topic: topic, partition: 0),
                offset: KafkaTopicPartitionOffset.beginning
            )
        ])
        #expect(throws: KafkaError(.state, "")) {
            try consumer.store([KafkaTopicPartitionOffset(KafkaTopicPartition(topic: topic, partition: 1), offset: 1)])
        }
        try await consumer.close()
    }
}

@Suite("Kafka pause and faults")
struct KafkaFlowControlTests {
    @Test func pausedPartitionDeliversNothingUntilResumedWhileOthersFlow() async throws {
        let topic = uniqueTopic()
        try sharedCluster.createTopic(topic, partitions: 2)
        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        let p1 = KafkaTopicPartition(topic: topic, partition: 1)
        let consumer = try makeConsumer(group: "g-\(topic)")
        try consumer.assign([
            KafkaTopicPartitionOffset(p0, offset: KafkaTopicPartitionOffset.beginning),
            KafkaTopicPartitionOffset(p1, offset: KafkaTopicPartitionOffset.beginning),
        ])
        try consumer.pause([p0])
        let producer = try makeProducer()
        for index in 0..<20 {
            try await producer.send(topic: topic, partition: Int32(index % 2), key: nil, value: "m\(index)".bytes)
        }
        let whilePaused = try await collectMessages(consumer, count: 10)
        #expect(whilePaused.allSatisfy { $0.partition == 1 })
        // Keep polling a while longer: still nothing from the paused partition.
        let extra = try? await collectMessages(consumer, count: 1, timeout: .seconds(1))
        #expect(extra == nil)

        try consumer.resume([p0])
        let afterResume = try await collectMessages(consumer, count: 10)
        #expect(afterResume.allSatisfy { $0.partition == 0 })
        #expect(afterResume.map(\.offset) == Array(0..<10))
        try await consumer.close()
    }

    @Test func producerSurvivesBrokerGoingDownAndComingBack() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: quietLogger)
        let topic = uniqueTopic()
        try cluster.createTopic(topic, partitions: 1)
        let producer = try makeProducer(cluster)
        try await producer.send(topic: topic, key: nil, value: "before".bytes)

        try cluster.setBrokerDown(1)
        let pending = Task { try await producer.send(topic: topic, key: nil, value: "during".bytes) }
        try await Task.sleep(for: .seconds(1))
        try cluster.setBrokerUp(1)
        let report = try await within(.seconds(25), "delivery after the broker came back") { try await pending.value }
        #expect(report.offset == 1)
        let after = try await producer.send(topic: topic, key: nil, value: "after".bytes)
        #expect(after.offset == 2)

        let consumer = try makeConsumer(group: "g-\(topic)", cluster)
        try consumer.assign([
            KafkaTopicPartitionOffset(
                KafkaTopicPartition(topic: topic, partition: 0),
                offset: KafkaTopicPartitionOffset.beginning
            )
        ])
        let messages = try await collectMessages(consumer, count: 3)
        #expect(messages.map { String(decoding: $0.value, as: UTF8.self) } == ["before", "during", "after"])
        try await consumer.close()
    }

    @Test func producerRetriesInjectedRetriableProduceErrors() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: quietLogger)
        let topic = uniqueTopic()
        try cluster.createTopic(topic, partitions: 1)
        let producer = try makeProducer(cluster)
        try await producer.send(topic: topic, key: nil, value: "warm-up".bytes)
        cluster.injectRequestErrors(.produce, [.notLeaderForPartition, .requestTimedOut, .notEnoughReplicas])
        let report = try await producer.send(topic: topic, key: nil, value: "retried".bytes)
        #expect(report.offset == 1)
    }
}

import KafkaIO
import Testing

@Suite("librdkafka translation")
struct KafkaConfigurationTests {
    @Test func consumerPropertiesKeepOffsetStoreManual() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: ["a:9092", "b:9092"], groupID: "g")
        configuration.sessionTimeout = .seconds(30)
        configuration.commitInterval = .milliseconds(500)
        configuration.overrides = ["fetch.wait.max.ms": "50"]
        #expect(
            configuration.librdkafkaProperties() == [
                "bootstrap.servers": "a:9092,b:9092", "group.id": "g", "client.id": "ingestor",
                "session.timeout.ms": "30000",
                "max.poll.interval.ms": "300000", "auto.offset.reset": "earliest", "enable.auto.offset.store": "false",
                "enable.auto.commit": "true", "auto.commit.interval.ms": "500", "queued.min.messages": "100000",
                "queued.max.messages.kbytes": "65536", "partition.assignment.strategy": "range,roundrobin",
                "topic.metadata.refresh.interval.ms": "30000", "enable.partition.eof": "false",
                "fetch.wait.max.ms": "50",
            ]
        )
    }

    @Test func noCommitIntervalMeansExplicitCommitsOnly() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: ["a:9092"], groupID: "g")
        configuration.commitInterval = nil
        let properties = configuration.librdkafkaProperties()
        #expect(properties["enable.auto.commit"] == "false")
        #expect(properties["auto.commit.interval.ms"] == nil)
    }

    @Test func producerIsIdempotentWithAllAcks() {
        let properties = KafkaProducerConfiguration(bootstrapServers: ["a:9092"]).librdkafkaProperties()
        #expect(
            properties == [
                "bootstrap.servers": "a:9092", "client.id": "ingestor", "enable.idempotence": "true", "acks": "all",
                "linger.ms": "5",
                "delivery.timeout.ms": "30000", "queue.buffering.max.messages": "100000",
            ]
        )
    }

    @Test func librdkafkaRefusalNamesTheProperty() {
        var configuration = KafkaProducerConfiguration(bootstrapServers: ["a:9092"])
        configuration.overrides = ["no.such.property": "1"]
        do {
            _ = try KafkaProducer(configuration: configuration, logger: quietLogger)
            Issue.record("expected a refusal")
        } catch let error as KafkaError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("no.such.property"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func runtimeVersionIsAtLeastTheMinimum() throws {
        #expect(LibrdkafkaVersion.runtime >= LibrdkafkaVersion.minimum)
        #expect(LibrdkafkaVersion(major: 1, minor: 9, patch: 2) < LibrdkafkaVersion.minimum)
        try LibrdkafkaVersion.checkRuntime()
    }

    @Test func topicSpecificationParsing() {
        #expect(
            KafkaTopicSpecification(parsing: "alerts.raw:6")
                == KafkaTopicSpecification(name: "alerts.raw", partitions: 6)
        )
        #expect(KafkaTopicSpecification(parsing: "alerts.raw")?.partitions == 1)
        #expect(KafkaTopicSpecification(parsing: "x:0") == nil)
        #expect(KafkaTopicSpecification(parsing: ":3") == nil)
        #expect(KafkaTopicSpecification(parsing: "a:b:c") == nil)
    }
}

@Suite("Consumer lifecycle")
struct KafkaConsumerStateMachineTests {
    @Test func transitions() {
        var machine = KafkaConsumer.StateMachineProbe()
        #expect(machine.next() == "throwNotStarted")
        #expect(machine.start() == "start")
        #expect(machine.next() == "poll")
        #expect(machine.close() == "close")
        #expect(machine.close() == "none", "a second close does nothing")
        #expect(machine.next() == "finish")
        #expect(machine.start() == "throwClosed")
        machine.closed()
        #expect(machine.operation() == "throwClosed")
    }
}

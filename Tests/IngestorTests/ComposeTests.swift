import Foundation
import IncidentAPI
import IngestorKit
import Testing
import Yams

/// The repository root, found from this file's location.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

@Suite("docker-compose.yml agrees with the worker")
struct ComposeTests {
    func compose() throws -> [String: Any] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docker-compose.yml"), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    func service(_ name: String) throws -> [String: Any] {
        let services = try #require(try compose()["services"] as? [String: Any])
        return try #require(services[name] as? [String: Any], "service \(name)")
    }

    func environment(_ service: [String: Any]) -> [String: String] {
        (service["environment"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
    }

    @Test(arguments: ["worker", "worker-2"])
    func workerConfigurationWithComposeEnvironmentIsValid(name: String) throws {
        let worker = try service(name)
        let volumes = try #require(worker["volumes"] as? [String])
        let mount = try #require(volumes.first { $0.hasSuffix(":/etc/ingestor/ingestor.yaml:ro") })
        let hostPath = String(mount.split(separator: ":")[0])
        let command = try #require(worker["command"] as? [String])
        // The default, both stages through Kafka, with no extra option: two such processes in one group are one
        // logical worker.
        #expect(
            command == ["run", "--config", "/etc/ingestor/ingestor.yaml"]
        )

        let workerEnvironment = environment(worker)
        // Every INGESTOR_* variable must name a key the worker reads: unknown keys are refused by the loader.
        let configuration = try IngestorConfiguration.load(
            path: repositoryRoot.appendingPathComponent(hostPath).path,
            environment: workerEnvironment
        )
        #expect(configuration.kafka.bootstrapServers == ["kafka:9092"])
        // The state cache lives on a named volume of the worker's own, so a new container reads only the tail.
        let stateDirectory = URL(fileURLWithPath: configuration.state.path).deletingLastPathComponent().path
        let stateVolume = try #require(volumes.first { $0.hasSuffix(":\(stateDirectory)") && !$0.hasPrefix(".") })
        let volumeName = String(stateVolume.split(separator: ":")[0])
        #expect((try compose()["volumes"] as? [String: Any])?.keys.contains(volumeName) == true)
        let others = ["worker", "worker-2"].filter { $0 != name }
        for other in others {
            let otherVolumes = try #require(try service(other)["volumes"] as? [String])
            #expect(!otherVolumes.contains(stateVolume), "\(name) and \(other) share a state volume")
        }

        // The topics the worker reads and writes are the ones the topics job creates, the changelog compacted.
        let topicsCommand = try #require((try service("topics")["command"] as? [String])?.joined())
        let written = [configuration.deadLetterTopic, configuration.kafka.resolvedEventsTopic]
        for topic in configuration.sources.map(\.topic) + written {
            #expect(topicsCommand.contains("--topic \(topic) "), "\(topic) is not created")
        }
        #expect(
            topicsCommand.contains(
                "--topic \(configuration.kafka.resolvedChangelogTopic) --partitions 6 --replication-factor 1 --config cleanup.policy=compact"
            )
        )
        #expect(topicsCommand.contains("--topic \(configuration.kafka.resolvedEventsTopic) --partitions 6 "))
        // The audit topic `incidents explain` reads, kept as long as the state file's audit trail (7 days).
        #expect(
            topicsCommand.contains(
                "--topic \(configuration.kafka.resolvedAuditTopic) --partitions 6 --replication-factor 1 --config retention.ms=604800000"
            )
        )
        // The worker talks to the fake API service with the token the fake expects.
        guard let devrev = configuration.target.settings as? DevRevConfiguration else {
            Issue.record("compose worker must target the devrev fake")
            return
        }
        let fake = try service("fake-api")
        let fakeCommand = try #require(fake["command"] as? [String])
        let port = try #require(fakeCommand.firstIndex(of: "--port").map { fakeCommand[$0 + 1] })
        #expect(devrev.baseURL == "http://fake-api:\(port)")
        #expect(environment(fake)["MOCK_API_TOKEN"] == devrev.token.exposedValue)
        // The published ops port is the one the worker listens on.
        let ports = try #require(worker["ports"] as? [String])
        #expect(ports.contains { $0.hasSuffix(":\(configuration.ops.port)") })
    }

    @Test func kafkaIsASingleNodeKRaftBroker() throws {
        let kafka = environment(try service("kafka"))
        #expect(kafka["KAFKA_PROCESS_ROLES"] == "broker,controller")
        #expect(kafka["KAFKA_ADVERTISED_LISTENERS"]?.contains("PLAINTEXT://kafka:9092") == true)
        #expect(kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1")
    }
}

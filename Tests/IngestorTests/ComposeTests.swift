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

    @Test func workerConfigurationWithComposeEnvironmentIsValid() throws {
        let worker = try service("worker")
        let volumes = try #require(worker["volumes"] as? [String])
        let mount = try #require(volumes.first { $0.hasSuffix(":/etc/ingestor/ingestor.yaml:ro") })
        let hostPath = String(mount.split(separator: ":")[0])
        let command = try #require(worker["command"] as? [String])
        #expect(command == ["run", "--config", "/etc/ingestor/ingestor.yaml"])

        let workerEnvironment = environment(worker)
        // Every INGESTOR_* variable must name a key the worker reads: unknown keys are refused by the loader.
        let configuration = try IngestorConfiguration.load(
            path: repositoryRoot.appendingPathComponent(hostPath).path,
            environment: workerEnvironment
        )
        #expect(configuration.kafka.bootstrapServers == ["kafka:9092"])
        // The state file lives on a named volume, so a new container keeps the open incidents.
        let stateDirectory = URL(fileURLWithPath: configuration.state.path).deletingLastPathComponent().path
        #expect(volumes.contains { $0.hasSuffix(":\(stateDirectory)") && !$0.hasPrefix(".") }, "\(volumes)")
        #expect((try compose()["volumes"] as? [String: Any])?.keys.contains("ingestor-state") == true)

        // The topics the worker reads and writes are the ones the topics job creates.
        let topicsCommand = try #require((try service("topics")["command"] as? [String])?.joined())
        for topic in configuration.sources.map(\.topic) + [configuration.deadLetterTopic] {
            #expect(topicsCommand.contains("--topic \(topic) "), "\(topic) is not created")
        }
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
        #expect(ports.contains("\(configuration.ops.port):\(configuration.ops.port)"))
    }

    @Test func kafkaIsASingleNodeKRaftBroker() throws {
        let kafka = environment(try service("kafka"))
        #expect(kafka["KAFKA_PROCESS_ROLES"] == "broker,controller")
        #expect(kafka["KAFKA_ADVERTISED_LISTENERS"]?.contains("PLAINTEXT://kafka:9092") == true)
        #expect(kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1")
    }
}

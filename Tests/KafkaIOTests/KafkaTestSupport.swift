import Foundation
import KafkaIO
import Logging
import Testing

/// One embedded cluster shared by the tests that do not change broker state.
let sharedCluster: EmbeddedKafkaCluster = {
    do {
        return try EmbeddedKafkaCluster(brokers: 1, logger: quietLogger)
    } catch {
        fatalError("embedded cluster: \(error)")
    }
}()

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// A topic name no other test uses.
func uniqueTopic(_ stem: String = #function) -> String {
    let cleaned = stem.filter { $0.isLetter || $0.isNumber }
    return "t-\(cleaned)-\(UUID().uuidString.prefix(8))"
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing when it takes longer than `timeout`.
func within<T: Sendable>(
    _ timeout: Duration,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TimedOut(what: what)
        }
        group.cancelAll()
        return value
    }
}

func makeProducer(_ cluster: EmbeddedKafkaCluster = sharedCluster) throws -> KafkaProducer {
    try KafkaProducer(configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: quietLogger)
}

func makeConsumer(
    group: String,
    _ cluster: EmbeddedKafkaCluster = sharedCluster,
    commitInterval: Duration? = nil
)
    throws -> KafkaConsumer
{
    var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServerList, groupID: group)
    configuration.commitInterval = commitInterval
    configuration.sessionTimeout = .seconds(6)
    configuration.metadataRefreshInterval = .seconds(1)
    return try KafkaConsumer(configuration: configuration, logger: quietLogger)
}

/// Reads events until `count` messages arrived, returning the messages.
func collectMessages(
    _ consumer: KafkaConsumer,
    count: Int,
    timeout: Duration = .seconds(20)
) async throws -> [KafkaMessage] {
    try await within(timeout, "\(count) messages") {
        var messages: [KafkaMessage] = []
        for try await event in consumer.events {
            if case .message(let message) = event { messages.append(message) }
            if messages.count == count { break }
        }
        return messages
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

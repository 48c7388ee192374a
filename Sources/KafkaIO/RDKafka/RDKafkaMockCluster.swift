import CKafka
import Logging

/// Owns a librdkafka mock cluster and the client handle it is tied to; destroys both in `deinit`.
///
/// - Important: `@unchecked Sendable` because the mock cluster's control functions post operations to the
///   cluster's own thread and are safe to call from any thread. The pointers never change after `init`. The
///   cluster is destroyed before its client (`deinit` order), as librdkafka requires.
final class RDKafkaMockCluster: @unchecked Sendable {
    private let client: RDKafkaClient
    private let cluster: OpaquePointer

    init(brokers: Int, logger: Logger) throws(KafkaError) {
        // The mock cluster needs a client instance for its bookkeeping; it never connects anywhere.
        client = try RDKafkaClient(kind: .producer, properties: ["log_level": "3"], logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(.invalidConfiguration, "could not create a mock cluster with \(brokers) brokers")
        }
        self.cluster = cluster
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    func createTopic(_ name: String, partitions: Int, replicationFactor: Int) throws(KafkaError) {
        let result = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "create mock topic \(name)") }
    }

    func setBroker(_ id: Int32, up: Bool) throws(KafkaError) {
        let result = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(result, "set broker \(id) \(up ? "up" : "down")")
        }
    }

    func setBrokerRoundTripTime(_ id: Int32, milliseconds: Int32) throws(KafkaError) {
        let result = rd_kafka_mock_broker_set_rtt(cluster, id, milliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, "set broker \(id) rtt") }
    }

    func pushRequestErrors(apiKey: Int16, errors: [KafkaError.Code]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, codes.count, &codes)
    }

    func clearRequestErrors(apiKey: Int16) {
        rd_kafka_mock_clear_request_errors(cluster, apiKey)
    }

    func setTopicError(_ topic: String, error: KafkaError.Code?) {
        rd_kafka_mock_topic_set_error(cluster, topic, rd_kafka_resp_err_t(rawValue: error?.rawValue ?? 0))
    }

    func setPartitionLeader(topic: String, partition: Int32, broker: Int32) throws(KafkaError) {
        let result = rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(result, "set leader of \(topic)[\(partition)]")
        }
    }
}

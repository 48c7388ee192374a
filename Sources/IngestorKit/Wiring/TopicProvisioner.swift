import KafkaIO
import Logging

/// Makes sure the topics the worker writes exist before it writes them: missing ones are created through the
/// Admin API with `kafka.create_topics.*`, and an events topic that exists with another partition count than the
/// one set is refused by name.
///
/// librdkafka's mock cluster (the embedded default) does not answer CreateTopics; after `createTimeout` the topic is
/// created the way that cluster creates topics, on first use, with its default partition count, and the worker says
/// so.
struct TopicProvisioner: Sendable {
    /// One topic the worker writes.
    struct Need: Sendable, Hashable {
        /// The topic.
        var name: String
        /// What it is for, in messages: `events topic`, `dead-letter topic`.
        var role: String
        /// Whether an existing topic must have `kafka.create_topics.partitions` partitions (only when that is set).
        var mustMatch: Bool
        /// The partition count it must have (created with, and checked), when another topic decides it.
        var partitions: Int? = nil
        /// Topic-level settings for a created topic (`cleanup.policy: compact` for the changelog).
        var configs: [String: String] = [:]
    }

    /// Why a topic cannot be used.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    let admin: KafkaAdmin
    let settings: IngestorConfiguration.TopicCreation
    let logger: Logger
    var createTimeout: Duration = .seconds(5)

    /// Ensures every topic of `needs` exists, creating missing ones.
    /// - Returns: each topic's partition count.
    /// - Throws: ``Refusal`` for a topic that exists with the wrong partition count, or is missing and cannot be
    ///   created; ``KafkaError`` when no broker answers.
    func ensure(_ needs: [Need]) async throws -> [String: Int] {
        let existing = try await admin.partitionCounts(topics: needs.map(\.name))
        var counts: [String: Int] = [:]
        for need in needs {
            if let count = existing[need.name] {
                if let required = need.partitions, count != required {
                    throw Refusal(
                        description: """
                            the \(need.role) \(need.name) has \(count) partitions, but must have \(required) (as many as \
                            the events topic: each of its partitions holds the state of one events partition)
                            """
                    )
                }
                if need.mustMatch, settings.partitionsSet, count != settings.partitions {
                    throw Refusal(
                        description: """
                            the \(need.role) \(need.name) has \(count) partitions, but kafka.create_topics.partitions \
                            is \(settings.partitions): the work and the state are partitioned by it, so they must agree \
                            (set kafka.create_topics.partitions to \(count), or use another topic)
                            """
                    )
                }
                counts[need.name] = count
            }
        }
        let missing = needs.filter { counts[$0.name] == nil }
        for (name, count) in try await create(missing) { counts[name] = count }
        return counts
    }

    /// Creates the `needs` in one request, so a cluster that does not answer costs one `createTimeout`, not one each.
    private func create(_ needs: [Need]) async throws -> [String: Int] {
        guard !needs.isEmpty else { return [:] }
        if !settings.enabled, let need = needs.first {
            throw Refusal(
                description:
                    "the \(need.role) \(need.name) does not exist, and kafka.create_topics.enabled is false: create it first"
            )
        }
        let specifications = needs.map { need in
            KafkaTopicSpecification(
                name: need.name,
                partitions: need.partitions ?? settings.partitions,
                replicationFactor: settings.replicationFactor,
                configs: need.configs
            )
        }
        do {
            try await admin.createTopics(specifications, timeout: createTimeout)
            var counts: [String: Int] = [:]
            for (need, specification) in zip(needs, specifications) {
                logger.info(
                    "created the \(need.role) \(need.name) with \(specification.partitions) partitions (kafka.create_topics)"
                )
                counts[need.name] = specification.partitions
            }
            return counts
        } catch let error as KafkaError where error.code == .timedOut {
            var counts: [String: Int] = [:]
            for need in needs { counts[need.name] = try await createdOnUse(need) }
            return counts
        } catch let error as KafkaError where error.code == .topicAlreadyExists {
            // Someone else created one of them meanwhile: whatever exists now is taken, the rest is created.
            let existing = try await admin.partitionCounts(topics: needs.map(\.name))
            var counts = existing
            for need in needs where existing[need.name] == nil {
                counts.merge(try await create([need])) { $1 }
            }
            return counts
        } catch {
            let names = needs.map { "the \($0.role) \($0.name)" }.joined(separator: ", ")
            throw Refusal(description: "\(names) could not be created: \(error)")
        }
    }

    /// The partition count of `need` created on first use, after a cluster did not answer CreateTopics.
    private func createdOnUse(_ need: Need) async throws -> Int {
        let count = try await admin.partitionCountCreatingOnUse(of: need.name)
        if let required = need.partitions, count != required {
            throw Refusal(
                description: """
                    the cluster did not answer CreateTopics (librdkafka's mock cluster has no Admin API) and created \
                    the \(need.role) \(need.name) on first use with \(count) partitions, but it needs \(required): \
                    create it first (ingestor dev-kafka --topic \(need.name):\(required))
                    """
            )
        }
        logger.warning(
            """
            the cluster did not answer CreateTopics within \(createTimeout) (librdkafka's mock cluster has no \
            Admin API), so the \(need.role) \(need.name) was created on first use with the cluster's default of \
            \(count) partitions; to choose, create it first (ingestor dev-kafka --topic \(need.name):PARTITIONS)
            """
        )
        return count
    }
}

import Foundation
import IncidentAPI
import KafkaIO
import Logging
import Normalizer
import Pipeline
import ServiceLifecycle

extension IngestorApp {
    /// The delivery stage: the events topic in (consumer group `<group_id>.deliver`), incidents out, with the state
    /// owned by events partition and every change in the changelog topic.
    static func deliveryStage(_ context: StageContext) throws -> StageParts {
        let configuration = context.configuration
        let kafka = configuration.kafka
        var consumerConfiguration = configuration.consumerConfiguration
        consumerConfiguration.groupID = kafka.deliveryGroupID
        // The assignor stays eager. With cooperative-sticky, a member paused past its session timeout on the embedded
        // cluster (which does not refuse a stale generation) came back still believing it owned its partitions, with
        // no revoke, and made calls for keys another member had taken over: 7 duplicate incidents in one run of the
        // chaos test. An eager member gives up everything before it rejoins.
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: context.logger)
        try consumer.subscribe(topics: [kafka.resolvedEventsTopic])
        let changelogProducer = try KafkaProducer(
            configuration: configuration.changelogProducerConfiguration,
            logger: context.logger
        )
        let changelog = KafkaChangelog(
            topic: kafka.resolvedChangelogTopic,
            auditTopic: kafka.resolvedAuditTopic,
            producer: changelogProducer,
            admin: try KafkaAdmin(configuration: configuration.producerConfiguration, logger: context.logger),
            consumerConfiguration: consumerConfiguration,
            logger: context.logger
        )
        let store = PartitionedStateStore(
            cache: try openCache(configuration.state, clock: context.clock, logger: context.logger),
            changelog: changelog,
            source: changelog,
            owner: ownerName(),
            resolvedRetention: configuration.state.resolvedRetention,
            clock: context.clock,
            decisions: changelog,
            logger: context.logger
        )
        let runner = makeRunner(
            source: KafkaMessageSource(consumer: consumer, originHeader: EventRecord.Header.originTopic),
            input: .eventRecords,
            partitionedState: store,
            configuration: configuration,
            target: makeTarget(configuration.target, client: context.httpClient, logger: context.logger),
            store: store,
            deadLetters: context.deadLetters,
            instruments: context.instruments,
            clock: context.clock,
            logger: context.logger
        )
        let provisioner = context.provisioner
        let events = context.eventsNeed
        let deadLetters = context.deadLetterNeed
        let changelogTopic = kafka.resolvedChangelogTopic
        let auditTopic = kafka.resolvedAuditTopic
        let auditRetention = configuration.state.auditRetention
        let logger = context.logger
        let service = PipelineService(runner: runner, status: context.status) {
            let counts = try await provisioner.ensure([events, deadLetters])
            let partitions = counts[events.name] ?? 1
            _ = try await provisioner.ensure([
                TopicProvisioner.Need(
                    name: changelogTopic,
                    role: "changelog topic",
                    mustMatch: false,
                    partitions: partitions,
                    configs: ["cleanup.policy": "compact"]
                ),
                TopicProvisioner.Need(
                    name: auditTopic,
                    role: "audit topic",
                    mustMatch: false,
                    configs: [
                        "cleanup.policy": "delete",
                        "retention.ms": String(auditRetention.components.seconds * 1000),
                    ]
                ),
            ])
            store.setPartitions(partitions)
            logger.info(
                "delivery state owned by partition: \(partitions) partitions of \(events.name), changelog \(changelogTopic)"
            )
        }
        return StageParts(
            services: [
                context.producerService(changelogProducer),
                .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            progress: [{ runner.progress }],
            runner: runner,
            probe: (consumer, [kafka.resolvedEventsTopic])
        )
    }

    /// The state file as the local cache of owned partitions (memory for `:memory:`: every start restores from
    /// the changelog).
    static func openCache(
        _ state: IngestorConfiguration.State,
        clock: any PipelineClock,
        logger: Logger
    ) throws -> SQLiteIncidentStateStore {
        do {
            if state.isInMemory {
                return try SQLiteIncidentStateStore(
                    path: ":memory:",
                    cacheCapacity: state.cacheRecords,
                    now: clock.now()
                )
            }
            let store = try SQLiteIncidentStateStore(
                path: state.path,
                cacheCapacity: state.cacheRecords,
                auditRetention: state.auditRetention,
                now: clock.now(),
                exclusive: true
            )
            logger.info("incident state cached in \(state.path); the changelog holds it")
            return store
        } catch let error as StateFileLock.InUse {
            throw StateStoreError(path: state.path, underlying: error.description)
        } catch let error as StateFileLock.Unavailable {
            throw StateStoreError(path: state.path, underlying: error.description)
        } catch {
            throw StateStoreError(path: state.path, underlying: "\(error)")
        }
    }

    /// This process's name in its changelog claims: host, pid and a random part, unique per start.
    static func ownerName() -> String {
        "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UInt32.random(in: 0...UInt32.max))"
    }
}

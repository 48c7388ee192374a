import IncidentAPI
import KafkaIO
import Logging
import Normalizer
import Pipeline
import ServiceLifecycle

/// What one stage adds to the worker: its services, what `/readyz` asks it, and the consumer the broker probe
/// uses.
struct StageParts {
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
    var progress: [@Sendable () -> RunnerProgress] = []
    var runner: PipelineRunner<KafkaMessageSource>?
    var normalizeStage: NormalizeStage<KafkaMessageSource>?
    var probe: (consumer: KafkaConsumer, topics: [String])?
}

/// What every stage shares: the configuration and the parts built once.
struct StageContext {
    let configuration: IngestorConfiguration
    let logger: Logger
    let instruments: PipelineInstruments
    let status: WorkerStatus
    let clock: any PipelineClock
    let httpClient: CurlHTTPClient
    let deadLetters: KafkaDeadLetterSink
    let provisioner: TopicProvisioner

    var deadLetterNeed: TopicProvisioner.Need {
        TopicProvisioner.Need(name: configuration.deadLetterTopic, role: "dead-letter topic", mustMatch: false)
    }

    var eventsNeed: TopicProvisioner.Need {
        TopicProvisioner.Need(name: configuration.kafka.resolvedEventsTopic, role: "events topic", mustMatch: true)
    }

    func normalizer() -> Normalizer {
        Normalizer(limits: configuration.limits, options: DecodeOptions(defaultSeverity: configuration.defaultSeverity))
    }

    func producerService(_ producer: KafkaProducer) -> ServiceGroupConfiguration.ServiceConfiguration {
        .init(
            service: ProducerService(producer: producer, flushTimeout: .seconds(10), logger: logger),
            successTerminationBehavior: .gracefullyShutdownGroup
        )
    }
}

extension IngestorApp {
    /// The whole job in one process, reading the raw topics: the state in one file this process holds.
    static func inProcess(_ context: StageContext, stateStore: (any IncidentStateStore)?) throws -> StageParts {
        let configuration = context.configuration
        let consumer = try KafkaConsumer(configuration: configuration.consumerConfiguration, logger: context.logger)
        try consumer.subscribe(topics: configuration.sources.map(\.topic))
        let store =
            try stateStore ?? openStateStore(configuration.state, clock: context.clock, logger: context.logger)
        let runner = makeRunner(
            source: KafkaMessageSource(consumer: consumer),
            configuration: configuration,
            target: makeTarget(configuration.target, client: context.httpClient, logger: context.logger),
            store: store,
            deadLetters: context.deadLetters,
            instruments: context.instruments,
            clock: context.clock,
            logger: context.logger
        )
        let provisioner = context.provisioner
        let needs = [context.deadLetterNeed]
        let logger = context.logger
        let service = PipelineService(runner: runner, status: context.status) {
            do {
                _ = try await provisioner.ensure(needs)
            } catch {
                logger.error("\(error); dead letters wait until the topic can be written")
            }
        }
        return StageParts(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            progress: [{ runner.progress }],
            runner: runner,
            probe: (consumer, configuration.sources.map(\.topic))
        )
    }

    /// The normalize stage: raw topics in, normalized events out to the events topic.
    static func normalizeStage(_ context: StageContext) throws -> StageParts {
        let configuration = context.configuration
        let consumer = try KafkaConsumer(configuration: configuration.consumerConfiguration, logger: context.logger)
        try consumer.subscribe(topics: configuration.sources.map(\.topic))
        let eventsProducer = try KafkaProducer(
            configuration: configuration.eventsProducerConfiguration,
            logger: context.logger
        )
        let stage = NormalizeStage(
            source: KafkaMessageSource(consumer: consumer),
            normalizer: context.normalizer(),
            events: KafkaEventSink(producer: eventsProducer, topic: configuration.kafka.resolvedEventsTopic),
            deadLetters: context.deadLetters,
            configuration: configuration.pipeline,
            instruments: context.instruments,
            clock: context.clock,
            logger: context.logger
        )
        let provisioner = context.provisioner
        let needs = [context.eventsNeed, context.deadLetterNeed]
        let service = NormalizeStageService(stage: stage, status: context.status) {
            _ = try await provisioner.ensure(needs)
        }
        return StageParts(
            services: [
                context.producerService(eventsProducer),
                .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            progress: [{ stage.progress }],
            normalizeStage: stage,
            probe: (consumer, configuration.sources.map(\.topic))
        )
    }
}

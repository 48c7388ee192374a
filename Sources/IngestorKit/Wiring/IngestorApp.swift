import IncidentAPI
import KafkaIO
public import Logging
import Metrics
import Normalizer
public import Pipeline
public import Prometheus
public import ServiceLifecycle
public import UnixSignals

/// The assembled worker: every component built from one configuration, as one `ServiceGroup`.
///
/// `main` and the tests both build the worker through ``build(configuration:logger:registry:stateStore:gracefulShutdownSignals:stages:)``.
public struct IngestorApp: Sendable {
    /// The services in dependency order; the group stops them in reverse (pipeline first, HTTP client last).
    public let serviceGroup: ServiceGroup
    /// The pipeline runner: the whole job in one process, or the delivery stage.
    public let runner: PipelineRunner<KafkaMessageSource>?
    /// The normalize stage, when the process runs only that.
    public let normalizeStage: NormalizeStage<KafkaMessageSource>?
    /// Counts of what the pipeline did.
    public let instruments: PipelineInstruments
    /// Phase and ops port.
    public let status: WorkerStatus

    /// Builds the worker.
    /// - Parameters:
    ///   - registry: the Prometheus registry `/metrics` serves; components write to it through an injected factory.
    ///   - stateStore: where incident records live; default the SQLite file of `state.path` (memory for `:memory:`).
    ///   - gracefulShutdownSignals: signals that start a graceful shutdown; tests pass none.
    ///   - stages: the whole job in one process (`all`, the default), or the normalize stage, the delivery stage,
    ///     or both through Kafka.
    /// - Throws: ``KafkaError`` when librdkafka refuses its settings or is too old.
    public static func build(
        configuration: IngestorConfiguration,
        logger: Logger,
        registry: PrometheusCollectorRegistry,
        stateStore: (any IncidentStateStore)? = nil,
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        stages: Set<IngestorStage> = [.all]
    ) throws -> IngestorApp {
        try LibrdkafkaVersion.checkRuntime()
        let factory = PrometheusMetricsFactory(registry: registry)
        let status = WorkerStatus()
        let instruments = PipelineInstruments(factory: factory, logger: logger)
        let httpClient = CurlHTTPClient(logger: logger)

        let producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
        let context = StageContext(
            configuration: configuration,
            logger: logger,
            instruments: instruments,
            status: status,
            clock: SystemPipelineClock(),
            httpClient: httpClient,
            deadLetters: KafkaDeadLetterSink(
                producer: producer,
                topic: configuration.deadLetterTopic,
                instruments: instruments
            ),
            provisioner: TopicProvisioner(
                admin: try KafkaAdmin(configuration: configuration.producerConfiguration, logger: logger),
                settings: configuration.kafka.createTopics,
                logger: logger
            )
        )
        let clock = context.clock
        var parts: [StageParts] = []
        if stages.isEmpty || stages.contains(.all) {
            parts.append(try inProcess(context, stateStore: stateStore))
        } else {
            if stages.contains(.normalize) { parts.append(try normalizeStage(context)) }
            if stages.contains(.deliver) { parts.append(try deliveryStage(context)) }
        }
        let runner = parts.compactMap(\.runner).first
        let normalizeStage = parts.compactMap(\.normalizeStage).first
        let stageProgress = parts.flatMap(\.progress)
        let progress: @Sendable () -> RunnerProgress = { RunnerProgress.combined(stageProgress.map { $0() }) }
        let work = parts.flatMap(\.services)
        let probed = parts.compactMap(\.probe)

        let intake = configuration.intake.map { intake in
            WebhookIntake(
                configuration: intake,
                producer: producer,
                client: httpClient,
                factory: factory,
                logger: logger
            )
        }
        let intakeHost = configuration.intake?.host ?? configuration.ops.host
        let probe = BrokerProbe(
            consumer: probed[0].consumer,
            topics: probed.flatMap(\.topics),
            interval: configuration.ops.readiness.probeInterval,
            clock: clock,
            logger: logger
        )
        let health = WorkerHealth(
            status: status,
            readiness: Readiness(settings: configuration.ops.readiness),
            probe: probe,
            instruments: instruments,
            clock: clock,
            progress: progress,
            unsettledIntents: { [runner] in runner?.unsettledIntents ?? [] },
            targetFailingSince: { [runner] in runner?.targetFailingSince }
        )
        let ops = OpsServer.make(
            host: configuration.ops.host,
            port: configuration.ops.port,
            registry: registry,
            status: status,
            health: health,
            intakeAddress: configuration.intake.map {
                $0.port == 0 ? "a port of its own (intake.port)" : "\(intakeHost):\($0.port) (intake.port)"
            },
            logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: HTTPClientService(client: httpClient), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(
                service: ProducerService(producer: producer, flushTimeout: .seconds(10), logger: logger),
                successTerminationBehavior: .gracefullyShutdownGroup
            ),
            .init(service: ops, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(
                service: BrokerProbeService(probe: probe, interval: configuration.ops.readiness.probeInterval),
                successTerminationBehavior: .gracefullyShutdownGroup
            ),
            .init(
                service: ConsumerLagService(
                    sampler: ConsumerLagSampler(
                        consumers: probed.map(\.consumer),
                        factory: factory,
                        timeout: configuration.ops.readiness.probeInterval,
                        logger: logger
                    ),
                    interval: configuration.ops.readiness.probeInterval
                ),
                successTerminationBehavior: .gracefullyShutdownGroup
            ),
        ]
        services += work
        if let intake {
            IntakeRoutes.checkFileDescriptors(intake.configuration.connections, logger: logger)
            services.insert(
                .init(
                    service: IntakeRoutes.server(
                        intake,
                        host: intakeHost,
                        port: intake.configuration.port,
                        logger: logger
                    ),
                    successTerminationBehavior: .gracefullyShutdownGroup
                ),
                at: 2
            )
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = gracefulShutdownSignals
        groupConfiguration.maximumGracefulShutdownDuration = configuration.pipeline.drainTimeout + .seconds(15)
        return IngestorApp(
            serviceGroup: ServiceGroup(configuration: groupConfiguration),
            runner: runner,
            normalizeStage: normalizeStage,
            instruments: instruments,
            status: status
        )
    }
}

extension IngestorApp {
    /// The adapter for the configured target, made by its kind's descriptor.
    static func makeTarget(
        _ configuration: IngestorConfiguration.Target,
        client: CurlHTTPClient,
        logger: Logger
    ) -> any IncidentTarget {
        configuration.configured.makeTarget(client: client, logger: logger)
    }

    /// The runner of `configuration` over `source`: the normalizer, correlator and deliverer the worker and replay
    /// share, so replay never takes a second code path.
    /// - Parameter limits: the target's token bucket; default `target.rate_limit`.
    static func makeRunner<Source: MessageSource>(
        source: Source,
        input: PipelineRunner<Source>.Input = .raw,
        partitionedState: PartitionedStateStore? = nil,
        configuration: IngestorConfiguration,
        target: any IncidentTarget,
        store: any IncidentStateStore,
        deadLetters: any DeadLetterSink,
        instruments: PipelineInstruments,
        clock: any PipelineClock,
        logger: Logger,
        limits: TargetGate.Limits? = nil,
        observer: (any PipelineObserver)? = nil
    ) -> PipelineRunner<Source> {
        PipelineRunner(
            source: source,
            input: input,
            partitionedState: partitionedState,
            normalizer: Normalizer(
                limits: configuration.limits,
                options: DecodeOptions(defaultSeverity: configuration.defaultSeverity)
            ),
            correlator: Correlator(
                store: store,
                target: target.name,
                reopenWindow: effectiveReopenWindow(configuration.pipeline.reopenWindow, target: target, logger: logger)
            ),
            deliverer: Deliverer(
                target: target,
                policy: configuration.retry,
                clock: clock,
                random: SystemRandomSource(),
                instruments: instruments,
                limits: limits ?? configuration.targetLimits
            ),
            deadLetters: deadLetters,
            configuration: configuration.pipeline,
            instruments: instruments,
            clock: clock,
            logger: logger,
            observer: observer
        )
    }

    /// `pipeline.reopen_window`, or zero (with a warning) when the target cannot reopen.
    static func effectiveReopenWindow(_ window: Duration, target: any IncidentTarget, logger: Logger) -> Duration {
        guard window > .zero, !target.supportsReopen else { return window }
        logger.warning(
            "pipeline.reopen_window is set, but \(target.name) cannot reopen incidents here; a key firing after its resolve gets a new incident"
        )
        return .zero
    }

    /// The state store of `state.*`: the SQLite file, or memory for `:memory:` (with a warning).
    /// - Parameter exclusive: lock the file against other processes (the worker and replay; not a dry run).
    static func openStateStore(
        _ state: IngestorConfiguration.State,
        clock: any PipelineClock,
        logger: Logger,
        exclusive: Bool = true
    ) throws -> any IncidentStateStore {
        if state.isInMemory {
            logger.warning("state.path is :memory: — incident state is lost on restart, so restarts can duplicate")
            return InMemoryIncidentStateStore()
        }
        let store: SQLiteIncidentStateStore
        do {
            store = try SQLiteIncidentStateStore(
                path: state.path,
                cacheCapacity: state.cacheRecords,
                auditRetention: state.auditRetention,
                resolvedRetention: state.resolvedRetention,
                now: clock.now(),
                exclusive: exclusive
            )
        } catch let error as StateFileLock.InUse {
            throw StateStoreError(path: state.path, underlying: error.description)
        } catch let error as StateFileLock.Unavailable {
            throw StateStoreError(path: state.path, underlying: error.description)
        } catch {
            throw StateStoreError(path: state.path, underlying: "\(error)")
        }
        logger.info("incident state in \(state.path)")
        return store
    }
}

/// The state file could not be opened or migrated.
public struct StateStoreError: Error, CustomStringConvertible {
    /// `state.path`.
    public var path: String
    /// What SQLite said.
    public var underlying: String

    public var description: String { "cannot open the state file \(path) (state.path): \(underlying)" }
}

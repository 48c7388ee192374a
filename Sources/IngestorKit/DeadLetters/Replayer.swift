import Foundation
import IncidentAPI
public import KafkaIO
public import Logging
import Metrics
import Normalizer
public import Pipeline
import Prometheus
import ServiceLifecycle
public import UnixSignals

/// What `ingestor replay` does, and how.
public struct ReplayOptions: Sendable {
    /// Which letters.
    public var filter = DeadLetterFilter()
    /// Replay at most this many letters (the rest stay for the next run).
    public var limit: Int?
    /// Show what each letter would become; call nothing, write nothing, commit nothing.
    public var dryRun = false
    /// Cap on requests per second to the target (below `target.rate_limit`).
    public var rate: Double?
    /// Write the letters' original messages onto this topic instead of handing each back to its own.
    public var toTopic: String?
    /// Hand each letter back to the topic (and, for the events topic, the partition) it came from, for the running
    /// workers that own its key (what `ingestor replay` does by default), instead of feeding it through this
    /// process's own pipeline and state file (`--direct`, for a stopped `--stage all` worker).
    public var handBack = false
    /// The consumer group that keeps this replay's progress; default from the topic and the filters.
    public var group: String?
    /// Start from the beginning of the topic instead of the group's progress.
    public var fromBeginning = false
    /// Replay parked letters too.
    public var includeParked = false

    /// Creates the defaults: every letter, through the pipeline, resuming.
    public init() {}

    /// The group that keeps the progress of a replay of `topic` with these filters: the same filters resume (with
    /// or without `--limit`), a different selection has its own progress.
    public func progressGroup(topic: String) -> String {
        if let group { return group }
        var name = "ingestor-replay.\(topic)"
        if !filter.isEmpty {
            name += "." + String(FNV1a.hash(filter.description), radix: 16)
        }
        if let toTopic { name += ".to.\(toTopic)" }
        return name
    }
}

/// Replays a dead-letter topic through the same normalize → correlate → deliver path as the worker (the same
/// ``PipelineRunner``, state file and target); or hands each letter's original record back to the topic (and, for the
/// events topic, the partition) it came from, so the delivery-stage worker that owns its key takes it up again with
/// its state (``ReplayOptions/handBack``); or onto another topic. Progress is committed under its own group.
public struct Replayer: Sendable {
    let configuration: IngestorConfiguration
    let options: ReplayOptions
    let logger: Logger

    /// Prepares a replay.
    public init(configuration: IngestorConfiguration, options: ReplayOptions, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// The group this replay's progress is kept under.
    public var group: String { options.progressGroup(topic: configuration.deadLetterTopic) }

    /// A replay being set up: what it will read, and the handle to follow it.
    public struct Run: Sendable {
        /// Records to read, from the group's progress (or the beginning) to the current end.
        public let total: Int
        /// Where each partition starts.
        public let starts: [KafkaTopicPartition: Int64]
        let tracker: ReplayTracker
        let work: @Sendable () async throws -> Void

        /// Counts so far.
        public var progress: ReplayProgress { tracker.progress }

        /// Runs the replay to the end (or until SIGINT/SIGTERM, after which it drains and commits).
        public func run() async throws { try await work() }
    }

    /// Looks up where the replay starts and ends, and prepares it.
    /// - Parameters:
    ///   - line: receives one line per letter in a dry run.
    ///   - signals: signals that interrupt the replay gracefully.
    public func prepare(
        line: (@Sendable (String) -> Void)? = nil,
        signals: [UnixSignal] = [.sigint, .sigterm]
    ) async throws -> Run {
        let topic = configuration.deadLetterTopic
        let servers = configuration.kafka.bootstrapServers
        let ends = try await KafkaTopicReader.endOffsets(topic: topic, bootstrapServers: servers, logger: logger)
        var consumerConfiguration = configuration.consumerConfiguration
        consumerConfiguration.groupID = options.dryRun ? group + ".dry-run" : group
        consumerConfiguration.offsetReset = .earliest
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        let admin = try KafkaAdmin(bootstrapServers: servers, logger: logger)
        var committed: [KafkaTopicPartition: Int64] = [:]
        if !options.fromBeginning {
            for entry in try await consumer.committed(Array(ends.keys)) where entry.offset >= 0 {
                committed[entry.topicPartition] = entry.offset
            }
        }
        var starts: [KafkaTopicPartition: Int64] = [:]
        var remaining: [KafkaTopicPartition: Int64] = [:]
        var total = 0
        for (partition, end) in ends {
            let low = try await admin.watermarks(partition).low
            let start = max(committed[partition] ?? low, low)
            starts[partition] = start
            if start < end {
                remaining[partition] = end
                total += Int(end - start)
            }
        }
        try consumer.assign(starts.map { KafkaTopicPartitionOffset($0.key, offset: $0.value) })
        let tracker = ReplayTracker(total: total, line: line)
        let eventsTopic = configuration.kafka.resolvedEventsTopic
        let throughOwnPipeline = !options.handBack && options.toTopic == nil
        // A delivery-stage letter's key has its state in the changelog, owned by a delivery worker: only that worker
        // may decide it, so a replay through this process's own pipeline leaves it alone.
        var leaveAlone: (@Sendable (DeadLetterRecord) -> String?)?
        if throughOwnPipeline {
            leaveAlone = { (record: DeadLetterRecord) -> String? in
                guard record.originalTopic == eventsTopic else { return nil }
                return
                    "a letter of the delivery stage (from \(eventsTopic)): replay it without --direct, while the workers run"
            }
        }
        let source = ReplaySource(
            consumer: consumer,
            ends: remaining,
            filter: options.filter,
            maxReplays: configuration.pipeline.maxReplays,
            includeParked: options.includeParked,
            limit: options.limit,
            commits: !options.dryRun,
            waitsForOutcomes: throughOwnPipeline,
            leaveAlone: leaveAlone,
            tracker: tracker
        )
        logger.info(
            "replaying \(topic) (\(options.filter)) under group \(consumerConfiguration.groupID): \(total) records to read"
        )
        let work: @Sendable () async throws -> Void
        if let toTopic = options.toTopic {
            work = { try await toTopicReplay(source: source, topic: toTopic) }
        } else if !options.handBack {
            let group = try pipelineReplay(source: source, signals: signals)
            work = { try await group.run() }
        } else if options.dryRun {
            work = { try await handBackDryRun(source: source) }
        } else {
            work = { try await toTopicReplay(source: source, topic: nil) }
        }
        return Run(total: total, starts: starts, tracker: tracker, work: work)
    }

    /// The worker's pipeline over the replay source, as a service group that ends with the source.
    private func pipelineReplay(source: ReplaySource, signals: [UnixSignal]) throws -> ServiceGroup {
        let registry = PrometheusCollectorRegistry()
        let instruments = PipelineInstruments(factory: PrometheusMetricsFactory(registry: registry), logger: logger)
        let clock = SystemPipelineClock()
        let httpClient = CurlHTTPClient(logger: logger)
        let realTarget = IngestorApp.makeTarget(configuration.target, client: httpClient, logger: logger)
        let target: any IncidentTarget =
            options.dryRun
            ? DryRunTarget(name: realTarget.name, supportsReopen: realTarget.supportsReopen) : realTarget
        let store: any IncidentStateStore
        if options.dryRun {
            // A dry run reads the real records (never writing the file) and keeps what it would change to itself.
            store = OverlayIncidentStateStore(base: try readOnlyState(clock: clock))
        } else {
            store = try IngestorApp.openStateStore(configuration.state, clock: clock, logger: logger)
        }
        var limits = configuration.targetLimits
        if let rate = options.rate {
            limits = TargetGate.Limits(rate: min(rate, limits.rate ?? rate), burst: 1)
        }
        let producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
        let deadLetters: any DeadLetterSink =
            options.dryRun
            ? DiscardingDeadLetterSink()
            : KafkaDeadLetterSink(producer: producer, topic: configuration.deadLetterTopic, instruments: instruments)
        let runner = IngestorApp.makeRunner(
            source: source,
            configuration: configuration,
            target: target,
            store: store,
            deadLetters: deadLetters,
            instruments: instruments,
            clock: clock,
            logger: logger,
            limits: limits,
            observer: source.tracker
        )
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(
                    service: HTTPClientService(client: httpClient),
                    successTerminationBehavior: .gracefullyShutdownGroup
                ),
                .init(
                    service: ProducerService(producer: producer, flushTimeout: .seconds(10), logger: logger),
                    successTerminationBehavior: .gracefullyShutdownGroup
                ),
                .init(
                    service: PipelineService(runner: runner, status: WorkerStatus()),
                    successTerminationBehavior: .gracefullyShutdownGroup
                ),
            ],
            logger: logger
        )
        groupConfiguration.gracefulShutdownSignals = signals
        groupConfiguration.maximumGracefulShutdownDuration = configuration.pipeline.drainTimeout + .seconds(15)
        return ServiceGroup(configuration: groupConfiguration)
    }

    /// The state file as it is, read-only; an empty store when there is none yet.
    private func readOnlyState(clock: any PipelineClock) throws -> any IncidentStateStore {
        let state = configuration.state
        guard !state.isInMemory, FileManager.default.fileExists(atPath: state.path) else {
            logger.notice("no state file at \(state.path): the dry run assumes no incident is known")
            return InMemoryIncidentStateStore()
        }
        do {
            return try SQLiteIncidentStateStore(path: state.path, auditRetention: nil, now: clock.now(), readOnly: true)
        } catch {
            throw StateStoreError(path: state.path, underlying: "\(error)")
        }
    }

    /// Writes each letter's original message onto `topic`, or back where it came from when `topic` is `nil`
    /// (failure headers removed, the replay count kept), and moves the replay's progress once the broker
    /// acknowledged it.
    private func toTopicReplay(source: ReplaySource, topic: String?) async throws {
        let producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
        do {
            try await copy(from: source, to: topic, through: producer)
        } catch {
            await producer.close(timeout: .seconds(10))
            try? await source.close()
            throw error
        }
        await producer.close(timeout: .seconds(10))
        try await source.commit()
        try await source.close()
    }

    /// Where a letter's original goes back to: its own topic, and for the events topic its own partition (the
    /// partition decides the key's owner; the records of a raw topic are spread by their key as any sender's).
    func home(of message: SourceMessage) -> (topic: String, partition: Int32?) {
        let partition =
            message.originTopic == configuration.kafka.resolvedEventsTopic
            ? message.header(DeadLetter.Field.originalPartition.rawValue).flatMap { Int32($0) } : nil
        return (message.originTopic, partition)
    }

    private func copy(from source: ReplaySource, to topic: String?, through producer: KafkaProducer) async throws {
        var iterator = source.events.makeAsyncIterator()
        var batch: [SourceMessage] = []
        func flush() async throws {
            // One sender per key lane, each in order: a key's firing and resolved letters arrive in the order
            // they left (concurrent sends could swap them); different keys go in parallel.
            let lanes = Dictionary(grouping: batch) { message in
                message.key.map { FNV1a.hash(String(decoding: $0, as: UTF8.self)) % 16 } ?? 0
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in lanes.values {
                    group.addTask {
                        for message in lane {
                            var headers = message.headers.filter { !$0.name.hasPrefix("ingestor-dlq-") }
                            headers += message.headers.filter { $0.name == DeadLetter.Field.replayCount.rawValue }
                            let home = topic.map { ($0, nil) } ?? self.home(of: message)
                            try await producer.send(
                                topic: home.0,
                                partition: home.1,
                                key: message.key,
                                value: message.value,
                                headers: headers.map { KafkaHeader(key: $0.name, value: $0.value) }
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }
            var next: [PartitionID: Int64] = [:]
            for message in batch {
                next[message.position.partition] = max(
                    next[message.position.partition] ?? 0,
                    message.position.offset + 1
                )
                source.tracker.finished(message, outcome: .completed)
            }
            try source.store(next.map { MessagePosition(partition: $0.key, offset: $0.value) })
            batch.removeAll()
        }
        while let event = try await iterator.next() {
            guard case .message(let message) = event else {
                if !batch.isEmpty { try await flush() }
                continue
            }
            batch.append(message)
            if batch.count >= 256 { try await flush() }
        }
        if !batch.isEmpty { try await flush() }
        try source.storeFullyRead()
    }

    /// A dry run of handing the letters back: what the owner of each letter's key would decide for it now, from the
    /// state in the changelog topic (or, when that is empty, the state file), without writing anything.
    private func handBackDryRun(source: ReplaySource) async throws {
        // What each letter would change is kept to this run (in memory), so a key's later letters are decided after
        // its earlier ones, as the owner would.
        let state = OverlayIncidentStateStore(base: try await currentState()?.store ?? InMemoryIncidentStateStore())
        let correlator = Correlator(
            store: state,
            target: configuration.target.name,
            reopenWindow: configuration.pipeline.reopenWindow
        )
        let pipeline = configuration.pipeline
        let normalizer = Normalizer(limits: configuration.limits)
        let now = SystemPipelineClock().now()
        var iterator = source.events.makeAsyncIterator()
        while let event = try await iterator.next() {
            guard case .message(let message) = event else { continue }
            var events: [NormalizedEvent] = []
            var grouping: Grouping?
            if message.originTopic == configuration.kafka.resolvedEventsTopic {
                guard let read = try? NormalizedEvent(json: try JSONParser().parse(message.value)) else {
                    source.tracker.rejected(message, reason: "invalid_event_record")
                    continue
                }
                events = [read]
            } else {
                do {
                    events = try normalizer.normalize(
                        message.normalizerInput,
                        route: pipeline.route(for: message.originTopic)
                    )
                } catch {
                    source.tracker.rejected(message, reason: error.code.rawValue)
                    continue
                }
                grouping = pipeline.groupings[message.originTopic]
            }
            for var event in events {
                if let grouping { event.dedupKey = grouping.groupKey(for: event) }
                let decision = correlator.decide(
                    event,
                    record: try await correlator.record(for: event.dedupKey),
                    now: now
                )
                source.tracker.decided(decision, for: event, of: message.position)
                if case .send(let command) = decision {
                    try await correlator.applied(command, externalID: command.externalID ?? "(created by this replay)")
                }
            }
            source.tracker.finished(message, outcome: .completed)
        }
        try? await source.close()
    }

    /// The incident state as the workers see it now: the changelog's, or the state file's when the changelog has
    /// nothing (workers run with `--stage all`), or none.
    private func currentState() async throws -> IncidentStateView? {
        let servers = configuration.kafka.bootstrapServers
        let topic = configuration.kafka.resolvedChangelogTopic
        let ends = try await KafkaTopicReader.endOffsets(topic: topic, bootstrapServers: servers, logger: logger)
        if ends.values.contains(where: { $0 > 0 }) {
            return try await IncidentStateView.changelog(
                topic: topic,
                auditTopic: nil,
                bootstrapServers: servers,
                logger: logger
            )
        }
        let state = configuration.state
        guard !state.isInMemory, FileManager.default.fileExists(atPath: state.path) else {
            logger.notice("no changelog records and no state file: the dry run assumes no incident is known")
            return nil
        }
        return try IncidentStateView.file(path: state.path)
    }
}

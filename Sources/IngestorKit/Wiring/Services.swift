import IncidentAPI
import KafkaIO
import Logging
import Pipeline
import ServiceLifecycle

/// Runs the pipeline; the runner itself reacts to graceful shutdown by draining.
struct PipelineService<Source: MessageSource>: Service {
    let runner: PipelineRunner<Source>
    let status: WorkerStatus
    /// Makes sure the topics it needs exist (and, for partitioned state, learns their size) before it starts.
    var provision: @Sendable () async throws -> Void = {}

    func run() async throws {
        try await provision()
        status.set(.running)
        defer { status.set(.stopped) }
        try await withGracefulShutdownHandler {
            try await runner.run()
        } onGracefulShutdown: {
            status.set(.draining)
        }
    }
}

/// Runs the normalize stage once the topics it writes exist; a topic it cannot use stops the worker.
struct NormalizeStageService<Source: MessageSource>: Service {
    let stage: NormalizeStage<Source>
    let status: WorkerStatus
    let provision: @Sendable () async throws -> Void

    func run() async throws {
        try await provision()
        status.set(.running)
        defer { status.set(.stopped) }
        try await withGracefulShutdownHandler {
            try await stage.run()
        } onGracefulShutdown: {
            status.set(.draining)
        }
    }
}

/// Owns the dead-letter producer: on shutdown (after the pipeline stopped) flushes what is in flight.
struct ProducerService: Service {
    let producer: KafkaProducer
    let flushTimeout: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let remaining = await producer.close(timeout: flushTimeout)
        if remaining > 0 { logger.error("\(remaining) dead letters were not acknowledged before shutdown") }
    }
}

/// Owns the HTTP client: stops its transfer thread last, after everything that uses it.
struct HTTPClientService: Service {
    let client: CurlHTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        client.shutdown()
    }
}

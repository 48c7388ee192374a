import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Normalizer
import Pipeline
import Prometheus
import ServiceLifecycle

/// The operations endpoints: `/metrics` (Prometheus text format), `/healthz` (the process answers), `/readyz`
/// (the pipeline is running; JSON detail either way, with whether intake is paused for backpressure and the dedup
/// keys whose create a crash interrupted and that are not settled yet).
enum OpsServer {
    static func make(
        host: String,
        port: Int,
        registry: PrometheusCollectorRegistry,
        status: WorkerStatus,
        instruments: PipelineInstruments,
        unsettledIntents: @escaping @Sendable () -> [String],
        intake: WebhookIntake? = nil,
        logger: Logger
    ) -> some Service {
        let router = Router()
        if let intake { IntakeRoutes.register(intake, on: router) }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
        router.get("/healthz") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n"))
            )
        }
        router.get("/readyz") { _, _ -> Response in
            let phase = status.current
            let stats = instruments.snapshot
            let detail = JSONValue.object(
                JSONObject([
                    ("status", .string(phase == .running ? "ready" : "not ready")),
                    ("phase", .string(phase.rawValue)),
                    ("messages_consumed", .number(String(stats.messagesConsumed))),
                    ("messages_finished", .number(String(stats.messagesFinished))),
                    ("dead_letters", .number(String(stats.deadLetters))),
                    ("intake_paused", .bool(stats.paused)),
                    ("pending_intents", .array(unsettledIntents().prefix(100).map { .string($0) })),
                ])
            )
            return Response(
                status: phase == .running ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(detail)))
            )
        }
        let routes = intake == nil ? "" : " POST /v1/ingest/{source}"
        return server(router, host: host, port: port, name: "ingestor-ops", logger: logger) { bound in
            status.setOpsPort(bound)
            logger.info("ops server listening on \(host):\(bound) (/metrics /healthz /readyz\(routes))")
        }
    }

    /// A Hummingbird server for `router` that logs only warnings of its own and reports the port it bound.
    static func server(
        _ router: Router<BasicRequestContext>,
        host: String,
        port: Int,
        name: String,
        logger: Logger,
        bound: @escaping @Sendable (Int) -> Void
    ) -> some Service {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { bound(port) }
            },
            logger: quiet
        )
    }
}

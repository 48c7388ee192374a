import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Normalizer
import Pipeline
import Prometheus
import ServiceLifecycle

/// The operations endpoints: `/metrics` (Prometheus text format), `/healthz` (the process answers), `/readyz`
/// (the worker is doing its job: 200 or 503 with JSON detail that names every reason, see ``Readiness``).
enum OpsServer {
    static func make(
        host: String,
        port: Int,
        registry: PrometheusCollectorRegistry,
        status: WorkerStatus,
        health: WorkerHealth,
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
            let (ready, detail) = health.report()
            return Response(
                status: ready ? .ok : .serviceUnavailable,
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

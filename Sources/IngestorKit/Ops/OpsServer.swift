import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Normalizer
import Pipeline
import Prometheus
import ServiceLifecycle

/// The operations endpoints: `/metrics` (Prometheus text format), `/healthz` (the process answers), `/readyz`
/// (the worker is doing its job: 200 or 503 with JSON detail that names every reason, see ``Readiness``).
///
/// `/metrics` includes `ingestor_ready`, 1 or 0: the same judgement as `/readyz`, made when the metrics are asked for.
///
/// They have a listener of their own (``HTTPListener``), never shared with the webhook intake: one event loop
/// thread that also runs the handlers, so no load elsewhere in the process queues ahead of them.
enum OpsServer {
    static func make(
        host: String,
        port: Int,
        registry: PrometheusCollectorRegistry,
        status: WorkerStatus,
        health: WorkerHealth,
        intakeAddress: String? = nil,
        logger: Logger
    ) -> some Service {
        let router = Router()
        if let intakeAddress { registerMisdirectedIntake(intakeAddress, on: router) }
        let factory = PrometheusMetricsFactory(registry: registry)
        let ready = Gauge(label: "ingestor_ready", dimensions: [], factory: factory)
        router.get("/metrics") { _, _ -> Response in
            ready.record(health.isReady() ? 1 : 0)
            return Response(
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
        // One thread of its own, handlers included: a flood on the intake's listener cannot delay these answers.
        return HTTPListener(
            router,
            host: host,
            port: port,
            name: "ingestor-ops",
            threads: 1,
            handlers: .eventLoop,
            logger: logger
        ) { bound in
            status.setOpsPort(bound)
            logger.info("ops server listening on \(host):\(bound) (/metrics /healthz /readyz)")
        }
    }

    /// `POST /v1/ingest/{source}` on the ops port, where the intake was served before it had a listener of its
    /// own: 421 naming where it is now, so a sender still pointed here says so in its logs.
    private static func registerMisdirectedIntake(_ intakeAddress: String, on router: Router<BasicRequestContext>) {
        router.post("/v1/ingest/:source") { _, _ -> Response in
            let message = "the webhook intake listens on \(intakeAddress), not on the ops port"
            let body = JSONValue.object(JSONObject([("status", .string("error")), ("error", .string(message))]))
            return Response(
                status: .misdirectedRequest,
                headers: [.contentType: "application/json", .connection: "close"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(body)))
            )
        }
    }
}

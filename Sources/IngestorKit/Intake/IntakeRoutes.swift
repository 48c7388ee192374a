import HTTPTypes
import Hummingbird
import HummingbirdCore
import IncidentAPI
public import Logging
import NIOCore
import Normalizer
public import ServiceLifecycle

/// The intake's HTTP side: `POST /v1/ingest/{source}` on a listener of its own, with the connection limits of
/// `intake.*` (``IntakeHTTP1Channel``).
public enum IntakeRoutes {
    static func register(_ intake: WebhookIntake, on router: Router<BasicRequestContext>) {
        router.post("/v1/ingest/:source") { request, context -> Response in
            let name = context.parameters.get("source") ?? ""
            let headers = request.headers
            let header: (String) -> String? = { field in HTTPField.Name(field).flatMap { headers[$0] } }
            let source: IntakeConfiguration.Source
            switch intake.admit(
                source: name,
                header: header,
                contentLength: headers[.contentLength].flatMap { Int($0) }
            ) {
            case .refuse(let answer):
                // The body stays unread: the connection is closed after the answer.
                return response(answer, closing: true)
            case .readBody(let admitted):
                source = admitted
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: intake.maxBodyBytes)
            } catch is NIOTooManyBytesError {
                return response(intake.tooLarge(source: name), closing: true)
            }
            return response(await intake.handle(source, header: header, body: Array(buffer: body)))
        }
    }

    /// The HTTP answer for `answer`; `closing` says `Connection: close`.
    static func response(_ answer: WebhookIntake.Response, closing: Bool = false) -> Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        if closing { fields[.connection] = "close" }
        for header in answer.headers {
            if let name = HTTPField.Name(header.name) { fields[name] = header.value }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(answer.body)))
        )
    }

    /// The intake's listener: its own event loop threads, `intake.max_connections` and
    /// `intake.max_connections_per_address` checked at accept, `intake.header_timeout`, `intake.body_timeout` and
    /// `intake.idle_timeout` on every connection.
    /// - Parameter bound: told the port once the server listens (tests bind port 0).
    public static func server(
        _ intake: WebhookIntake,
        host: String,
        port: Int,
        logger: Logger,
        bound: (@Sendable (Int) -> Void)? = nil
    ) -> some Service {
        let router = Router()
        register(intake, on: router)
        let limits = intake.configuration.connections
        let metrics = IntakeConnectionMetrics(factory: intake.factory)
        metrics.openConnections(0)
        let limiter = ConnectionLimiter(
            maxConnections: limits.maxConnections,
            maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
            observe: metrics.openConnections
        )
        return HTTPListener(
            router,
            host: host,
            port: port,
            name: "ingestor-intake",
            threads: System.coreCount,
            // Under a flood these threads accept and close as fast as connections come: the ops thread and the
            // pipeline go first when the CPU is short.
            niceness: 5,
            handlers: .cooperativePool,
            server: HTTPServerBuilder { responder in
                IntakeHTTP1Channel(responder: responder, limits: limits, limiter: limiter, metrics: metrics)
            },
            logger: logger
        ) { port in
            logger.info("webhook intake listening on \(host):\(port) (POST /v1/ingest/{source})")
            bound?(port)
        }
    }
}

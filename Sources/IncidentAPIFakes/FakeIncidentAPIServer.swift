import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
import Normalizer
import Synchronization

/// Serves a ``FakeVendorAPI`` over HTTP on loopback, with fault injection and the introspection endpoints
/// `GET /_mock/incidents` and `GET /_mock/requests`.
///
/// Run it with ``run()`` (it is a long-running service); ``baseURL()`` answers once the port is bound.
public final class FakeIncidentAPIServer: Sendable {
    private enum Binding {
        case waiting([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case failed(any Error)
    }

    /// The vendor behaviour.
    public let api: any FakeVendorAPI
    /// The injected faults.
    public let faults: FakeFaults
    private let host: String
    private let port: Int
    private let logger: Logger
    private let binding = Mutex(Binding.waiting([]))
    private let down = Mutex(false)
    private let heldAnswers = Mutex<Duration>(.zero)

    /// Creates a server.
    /// - Parameter port: the port to bind; 0 picks a free one.
    public init(
        api: any FakeVendorAPI,
        faults: FakeFaults = FakeFaults(),
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger
    ) {
        self.api = api
        self.faults = faults
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// The ledger of incidents and requests.
    public var ledger: FakeLedger { api.ledger }

    /// Takes the API down (every API request answered with the vendor's 5xx) or brings it back.
    public func setDown(_ isDown: Bool) { down.withLock { $0 = isDown } }

    /// From now on, acts on each API request and holds its answer back this long (zero to stop): calls stay in
    /// flight after their effect, as they would with a slow network.
    public func setAnswerDelay(_ delay: Duration) { heldAnswers.withLock { $0 = delay } }

    /// Waits until the server listens, then returns its base URL, e.g. `http://127.0.0.1:39211`.
    /// - Throws: the error that stopped ``run()`` before it listened (e.g. the port is taken).
    public func baseURL() async throws -> String {
        let port = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let ready: Result<Int, any Error>? = binding.withLock { binding in
                switch binding {
                case .waiting(let waiters):
                    binding = .waiting(waiters + [continuation])
                    return nil
                case .bound(let port): return .success(port)
                case .failed(let error): return .failure(error)
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
        return "http://\(host):\(port)"
    }

    /// Records the outcome of binding and wakes everyone waiting in ``baseURL()``.
    private func settle(_ result: Result<Int, any Error>) {
        let waiters: [CheckedContinuation<Int, any Error>] = binding.withLock { binding in
            guard case .waiting(let waiters) = binding else { return [] }
            switch result {
            case .success(let port): binding = .bound(port)
            case .failure(let error): binding = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    /// Serves until the task is cancelled or a graceful shutdown is triggered.
    public func run() async throws {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { [self] request, _ in
            try await self.respond(request)
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/**", method: method, use: handler)
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "ingestor-fake-\(api.flavor)"),
            onServerRunning: { [self] channel in
                self.settle(.success(channel.localAddress?.port ?? self.port))
            },
            logger: quiet
        )
        do {
            try await app.run()
            settle(.failure(CancellationError()))
        } catch {
            settle(.failure(error))
            throw error
        }
    }

    private func respond(_ incoming: Request) async throws -> Response {
        let receivedAt = ContinuousClock.now
        var incoming = incoming
        let buffer = try await incoming.collectBody(upTo: 4 << 20)
        let body = Array(buffer.readableBytesView)
        var query: [String: String] = [:]
        for (key, value) in incoming.uri.queryParameters {
            query[String(key)] = String(value).removingPercentEncoding()
        }
        var headers: [String: String] = [:]
        for field in incoming.headers { headers[field.name.canonicalName] = field.value }
        let request = FakeRequest(
            method: incoming.method.rawValue,
            path: incoming.uri.path,
            query: query,
            headers: headers,
            body: body
        )

        let answer: FakeResponse
        switch (request.method, request.path) {
        case ("GET", "/_mock/incidents"): return render(.json(200, ledger.incidentsJSON))
        case ("GET", "/_mock/requests"): return render(.json(200, ledger.requestsJSON))
        case ("GET", "/_mock/health"): return render(.json(200, .object(JSONObject([("flavor", .string(api.flavor))]))))
        default:
            if faults.latency > .zero { try await Task.sleep(for: faults.latency) }
            if down.withLock({ $0 }) {
                let answer = api.serverError()
                ledger.record(request, status: answer.status, receivedAt: receivedAt)
                return render(answer)
            }
            switch ledger.nextFault(faults) {
            case .throttle: answer = api.throttled(retryAfterSeconds: faults.throttleRetryAfterSeconds)
            case .serverError: answer = api.serverError()
            case nil: answer = api.handle(request)
            }
        }
        ledger.record(request, status: answer.status, receivedAt: receivedAt)
        let held = max(faults.answerDelay, heldAnswers.withLock { $0 })
        if held > .zero { try await Task.sleep(for: held) }
        return render(answer)
    }

    private func render(_ answer: FakeResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }
}

extension String {
    /// Decodes `%XX` escapes and `+` as a space, as query strings use them.
    fileprivate func removingPercentEncoding() -> String {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension FakeIncidentAPIServer {
    /// Runs the server for the duration of `body`, passing its base URL; stops it afterwards.
    public func withRunning<Result: Sendable>(_ body: @Sendable (String) async throws -> Result) async throws -> Result
    {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            return try await body(try await baseURL())
        }
    }
}

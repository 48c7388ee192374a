import IncidentAPI
import IncidentAPIFakes
import Normalizer
import Testing

/// A fake vendor that echoes, sleeps or returns a big body, to test the transport's limits.
struct EchoAPI: FakeVendorAPI {
    let ledger = FakeLedger()
    var flavor: String { "echo" }
    func handle(_ request: FakeRequest) -> FakeResponse {
        switch request.path {
        case "/big": return FakeResponse(status: 200, body: [UInt8](repeating: 0x41, count: 200_000))
        default:
            return .json(
                200,
                .object(
                    JSONObject([
                        ("method", .string(request.method)),
                        ("body", .string(String(decoding: request.body, as: UTF8.self))),
                        ("x", .string(request.headers["x-test"] ?? "")),
                    ])
                )
            )
        }
    }
    func serverError() -> FakeResponse { FakeResponse(status: 500) }
    func throttled(retryAfterSeconds seconds: Int) -> FakeResponse { FakeResponse(status: 429) }
}

@Suite("libcurl transport")
struct CurlHTTPClientTests {
    @Test func sendsMethodHeadersAndBodyAndReadsTheAnswer() async throws {
        let server = FakeIncidentAPIServer(api: EchoAPI(), logger: testLogger)
        try await server.withRunning { baseURL in
            let client = CurlHTTPClient(logger: testLogger)
            defer { client.shutdown() }
            for method in ["POST", "PUT", "PATCH"] {
                let body = String(repeating: "é", count: 3000)
                let response = try await client.execute(
                    HTTPRequest(
                        method: method,
                        url: baseURL + "/echo",
                        headers: [HTTPHeader("X-Test", "yes")],
                        body: Array(body.utf8)
                    )
                )
                #expect(response.status == 200)
                #expect(response.header("content-type") == "application/json")
                let parsed = try JSONParser().parse(response.body)
                #expect(parsed["method"]?.string == method)
                #expect(parsed["body"]?.string == body)
                #expect(parsed["x"]?.string == "yes")
            }
            let get = try await client.execute(HTTPRequest(method: "GET", url: baseURL + "/echo"))
            #expect(try JSONParser().parse(get.body)["method"]?.string == "GET")
        }
    }

    @Test func manyConcurrentRequestsAllComplete() async throws {
        let server = FakeIncidentAPIServer(api: EchoAPI(), logger: testLogger)
        try await server.withRunning { baseURL in
            let client = CurlHTTPClient(logger: testLogger)
            defer { client.shutdown() }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await client.execute(
                            HTTPRequest(method: "POST", url: baseURL + "/echo", body: Array("\(index)".utf8))
                        ).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 200 })
        }
    }

    @Test func responseLargerThanTheLimitFails() async throws {
        let server = FakeIncidentAPIServer(api: EchoAPI(), logger: testLogger)
        try await server.withRunning { baseURL in
            let client = CurlHTTPClient(logger: testLogger)
            defer { client.shutdown() }
            await #expect(throws: HTTPTransportError.self) {
                try await client.execute(HTTPRequest(method: "GET", url: baseURL + "/big", maxResponseBytes: 1000))
            }
            let fits = try await client.execute(
                HTTPRequest(method: "GET", url: baseURL + "/big", maxResponseBytes: 300_000)
            )
            #expect(fits.body.count == 200_000)
        }
    }

    @Test func deadlineIsEnforced() async throws {
        // The answer would take 10 s; the 300 ms deadline must end the call long before. The bound leaves room for a
        // loaded machine (a full suite on 2 cores once took 2.6 s to deliver the timeout).
        var faults = FakeFaults()
        faults.latency = .seconds(10)
        let server = FakeIncidentAPIServer(api: EchoAPI(), faults: faults, logger: testLogger)
        try await server.withRunning { baseURL in
            let client = CurlHTTPClient(logger: testLogger)
            defer { client.shutdown() }
            let clock = ContinuousClock()
            let start = clock.now
            do {
                _ = try await client.execute(
                    HTTPRequest(method: "GET", url: baseURL + "/slow", timeout: .milliseconds(300))
                )
                Issue.record("expected a timeout")
            } catch let error as HTTPTransportError {
                #expect(error.code == .timeout)
            }
            #expect(clock.now - start < .seconds(6))
        }
    }

    @Test func refusedConnectionIsAConnectError() async throws {
        let client = CurlHTTPClient(logger: testLogger)
        defer { client.shutdown() }
        do {
            _ = try await client.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:1/", timeout: .seconds(2)))
            Issue.record("expected a connect error")
        } catch let error as HTTPTransportError {
            #expect(error.code == .connect)
            #expect(error.isRetriable)
        }
    }

    @Test func cancellationEndsARequestEarly() async throws {
        var faults = FakeFaults()
        faults.latency = .seconds(5)
        let server = FakeIncidentAPIServer(api: EchoAPI(), faults: faults, logger: testLogger)
        try await server.withRunning { baseURL in
            let client = CurlHTTPClient(logger: testLogger)
            defer { client.shutdown() }
            let task = Task {
                try await client.execute(HTTPRequest(method: "GET", url: baseURL + "/slow", timeout: .seconds(30)))
            }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let result = await task.result
            guard case .failure(let error as HTTPTransportError) = result else {
                Issue.record("expected cancellation, got \(result)")
                return
            }
            #expect(error.code == .cancelled)
        }
    }

    @Test func unsupportedSchemeIsRefused() async throws {
        let client = CurlHTTPClient(logger: testLogger)
        defer { client.shutdown() }
        await #expect(throws: HTTPTransportError.self) {
            try await client.execute(HTTPRequest(method: "GET", url: "file:///etc/passwd"))
        }
    }
}

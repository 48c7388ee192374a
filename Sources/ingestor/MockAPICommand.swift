import ArgumentParser
import Foundation
import IncidentAPIFakes
import Logging

struct MockAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-api",
        abstract: "Serves a fake incident API that behaves like the vendor's, for the demo and for manual runs.",
        discussion: """
            The first line on standard output is listening=http://HOST:PORT. The fake checks authentication \
            and request shapes as the vendor documents them, answers wrong ones with the vendor's error \
            status and body, and keeps incidents in memory.

            Introspection:
              GET /_mock/incidents  incidents: id, external reference, fields, calls
              GET /_mock/requests   every request received, in order, with its status

            devrev: send Authorization: Bearer <token>. Stage DONs of the fake tenant:
              triage   \(FakeDevRevAPI.stages["triage"]!)
              resolved \(FakeDevRevAPI.stages["resolved"]!)

            motadata: the incident API of Motadata's "Update an Incident" page (/api/v1/incident). Get a \
            bearer token with the password grant at /api/oauth/token: client ingestor-client / client-secret, \
            user ingestor@example.com with the token as password. The only known requester is \
            ingestor@example.com.

            onetrust: OAuth2 client credentials at /api/access/v1/oauth/token (multipart form) with client \
            ingestor and the token as its secret. Organization \(FakeOneTrustAPI.orgGroupID); incident types \
            \(FakeOneTrustAPI.incidentTypes.joined(separator: ", ")); workflow \
            \(FakeOneTrustAPI.stages.joined(separator: " → ")); attributes Severity (Critical…Info) and \
            Ticket Reference.

            symantec: under /ServiceDeskApi; log in at /ServiceDeskApi/api/authorization/token as svc-ingestor \
            with the token as password. Affected user noc@example.com; close codes \
            \(FakeSymantecAPI.closeCodes.joined(separator: ", ")).

            infraon: send Authorization: <token> (the bare key, as Infraon's endpoint pages show it), or log in at \
            /ux/api-token-auth/ as ingestor with the token as password and send the returned token bare. Creates \
            answer 201 with no body and incidents are flat documents, as Infraon's API guide shows them. \
            Requester noc@example.com.

            generic: a small REST API (POST /api/incidents, PATCH /api/incidents/{id}, POST \
            /api/incidents/{id}/resolve and /comments, GET /api/incidents?external_ref=) for the http target. \
            Send Authorization: Bearer <token>, or get one at /oauth/token with client credentials \
            ingestor / client-secret.
            """
    )

    @Option(help: "The vendor to imitate: \(Self.flavors.joined(separator: ", ")).") var flavor = "devrev"
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 0
    @Option(help: "The token clients must send; default from MOCK_API_TOKEN, else dev-token.") var token: String?
    @Option(help: "Fraction of requests answered with the vendor's 5xx (0–1).") var failRate = 0.0
    @Option(help: "Answer every N-th request with 429 and the vendor's retry hint (0 disables).") var throttleEvery = 0
    @Option(help: "Seconds the 429 answers ask clients to wait.") var retryAfter = 1
    @Option(help: "Delay before every answer, in milliseconds.") var latencyMs = 0
    @Option(help: "Seed for the failure sequence.") var seed: UInt64 = 1

    func validate() throws {
        guard Self.flavors.contains(flavor) else {
            throw ValidationError("--flavor must be one of \(Self.flavors.joined(separator: ", "))")
        }
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate must be between 0 and 1") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
    }

    static let flavors = ["devrev", "motadata", "onetrust", "symantec", "infraon", "generic"]

    private func api(_ secret: String) -> any FakeVendorAPI {
        switch flavor {
        case "motadata": FakeMotadataAPI(apiKey: secret, password: secret)
        case "generic": FakeGenericAPI(token: secret)
        case "onetrust": FakeOneTrustAPI(clientSecret: secret)
        case "symantec": FakeSymantecAPI(password: secret)
        case "infraon": FakeInfraonAPI(apiKey: secret, password: secret)
        default: FakeDevRevAPI(token: secret)
        }
    }

    func run() async throws {
        Console.bootstrapLogging(level: .warning)
        let secret = token ?? ProcessInfo.processInfo.environment["MOCK_API_TOKEN"] ?? "dev-token"
        var faults = FakeFaults()
        faults.failRate = failRate
        faults.throttleEvery = throttleEvery
        faults.throttleRetryAfterSeconds = retryAfter
        faults.latency = .milliseconds(latencyMs)
        faults.seed = seed
        let server = FakeIncidentAPIServer(
            api: api(secret),
            faults: faults,
            host: host,
            port: port,
            logger: Logger(label: "ingestor.mock-api")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.addTask {
                let url = try await server.baseURL()
                Console.out("listening=\(url)")
                Console.err(
                    "fake \(flavor) API; clients must send the token given by --token or MOCK_API_TOKEN (default dev-token); Ctrl-C to stop"
                )
                await Console.waitForTermination()
            }
            // Whichever ends first: a signal (normal stop) or the server failing (e.g. the port is taken).
            try await group.next()
            group.cancelAll()
        }
    }
}

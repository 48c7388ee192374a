import ArgumentParser
import Foundation
import IncidentAPI
import IncidentAPIFakes
import IngestorKit
import Logging

struct MockAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-api",
        abstract: "Serves a fake incident API that behaves like the vendor's, for the demo and for manual runs.",
        discussion: """
            The first line on standard output is listening=http://HOST:PORT. The fake checks authentication \
            and request shapes as the vendor's document says, answers wrong ones with the vendor's error \
            status and body, and keeps incidents in memory. --variant switches on a behaviour real servers \
            show where it differs from the document.

            Introspection:
              GET /_mock/incidents  incidents: id, external reference, fields, notes, calls
              GET /_mock/requests   every request received, in order, with its headers (credentials \
            redacted) and status


            """
                + TargetCatalog.entries.map { entry in
                    let fake = entry.fake
                    let variants =
                        fake.variantNames.isEmpty ? "" : " Variants: \(fake.variantNames.joined(separator: ", "))."
                    return "\(fake.flavorName) (target.kind: \(entry.descriptor.kind)): \(fake.mockHelp)\(variants)"
                }.joined(separator: "\n\n")
    )

    @Option(help: "The vendor to imitate: \(Self.flavors.joined(separator: ", ")).") var flavor = "devrev"
    @Option(help: "A real-world behaviour to switch on (repeatable); see each flavor's variants below.")
    var variant: [String] = []
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 0
    @Option(help: "The token clients must send; default from MOCK_API_TOKEN, else dev-token.") var token: String?
    @Option(help: "Fraction of requests answered with the vendor's 5xx (0–1).") var failRate = 0.0
    @Option(help: "Answer every N-th request with 429 and the vendor's retry hint (0 disables).") var throttleEvery = 0
    @Option(help: "Seconds the 429 answers ask clients to wait.") var retryAfter = 1
    @Option(help: "Delay before every answer, in milliseconds.") var latencyMs = 0
    @Option(help: "Seed for the failure sequence.") var seed: UInt64 = 1

    func validate() throws {
        guard let entry = TargetCatalog.entry(flavor: flavor) else {
            throw ValidationError("--flavor must be one of \(Self.flavors.joined(separator: ", "))")
        }
        do {
            _ = try entry.fake.mock(secret: "probe", variants: variant)
        } catch {
            throw ValidationError("--variant: \(error)")
        }
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate must be between 0 and 1") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
    }

    static var flavors: [String] { TargetCatalog.entries.map { $0.fake.flavorName } }

    private func api(_ secret: String) throws -> any FakeVendorAPI {
        guard let entry = TargetCatalog.entry(flavor: flavor) else { throw ValidationError("unknown flavor \(flavor)") }
        return try entry.fake.mock(secret: secret, variants: variant)
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
            api: try api(secret),
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

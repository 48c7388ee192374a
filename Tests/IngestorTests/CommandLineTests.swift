import Foundation
import IncidentAPI
import Logging
import Testing

/// The built `ingestor` binary, next to the test bundle.
let ingestorBinary: URL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent("ingestor")

/// A running `ingestor` process with its output captured.
final class IngestorProcess: @unchecked Sendable {
    let process = Process()
    let stdout = Pipe()
    let stderr = Pipe()

    init(_ arguments: [String], environment: [String: String] = [:], input: [UInt8]? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: ingestorBinary.path) else {
            throw CocoaError(
                .fileNoSuchFile,
                userInfo: [
                    NSLocalizedDescriptionKey: "build the ingestor binary first (swift build): \(ingestorBinary.path)"
                ]
            )
        }
        process.executableURL = ingestorBinary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        try process.run()
        if let input {
            try stdin.fileHandleForWriting.write(contentsOf: input)
            try stdin.fileHandleForWriting.close()
        }
    }

    /// The first line written to standard output.
    func firstLine() -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = stdout.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first, first != 0x0A else { break }
            bytes.append(first)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits for exit and returns status, stdout, stderr.
    func finish() -> (Int32, String, String) {
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Waits for exit and returns status, stdout, stderr, on a thread of its own: a test whose process talks to the
    /// test's own servers (the fake API, the embedded cluster) must not hold one of the Swift concurrency pool's few
    /// threads meanwhile, or those servers' handlers can be left without one (two tests doing so at once on this
    /// 2-core machine left a replay waiting forever for the fake API).
    func finished() async -> (Int32, String, String) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.finish()) }.start()
        }
    }

    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite("Command line", .serialized)
struct CommandLineTests {
    @Test func everySubcommandHasHelp() throws {
        for command in [
            "run", "demo", "normalize", "check-config", "dev-kafka", "mock-api", "version", "replay", "dlq",
            "dlq stats",
            "dlq list", "dlq show", "dlq export", "incidents", "incidents list", "incidents show", "incidents explain",
            "incidents forget", "incidents resolve",
        ] {
            let (status, out, _) = try IngestorProcess(command.split(separator: " ").map(String.init) + ["--help"])
                .finish()
            #expect(status == 0, "\(command)")
            #expect(out.contains("USAGE: ingestor \(command)"), "\(command)")
        }
    }

    @Test func normalizePrintsOneJSONEventPerLine() throws {
        let fixture = repositoryRoot.appendingPathComponent(
            "Tests/NormalizerTests/Fixtures/alertmanager/group-mixed.json"
        )
        let (status, out, err) = try IngestorProcess(["normalize", fixture.path]).finish()
        #expect(status == 0, "\(err)")
        let lines = out.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(event["source"] as? String == "alertmanager")
        }
    }

    @Test func normalizeReadsStandardInputAndHeaders() throws {
        let mail = Array(
            "From: nagios@example.com\r\nSubject: ** RECOVERY Service Alert: web-01/HTTP is OK **\r\n\r\nok".utf8
        )
        let (status, out, _) = try IngestorProcess(["normalize", "--header", "ingestor-format=email"], input: mail)
            .finish()
        #expect(status == 0)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(event["status"] as? String == "resolved")
        #expect(event["dedupKey"] as? String == "email:nagios:web-01/HTTP")
    }

    @Test func normalizeRejectionsGoToStandardErrorWithExitTwo() throws {
        let (status, out, err) = try IngestorProcess(["normalize"], input: Array(#"{"hello":"#.utf8)).finish()
        #expect(status == 2)
        #expect(out.isEmpty)
        #expect(err.hasPrefix("stdin: invalid_json: "), "\(err)")
        let (unknown, _, unknownErr) = try IngestorProcess(["normalize"], input: Array(#"{"hello":"world"}"#.utf8))
            .finish()
        #expect(unknown == 2)
        #expect(unknownErr.contains("unrecognized_format"), "\(unknownErr)")
        let (badFlag, _, badFlagErr) = try IngestorProcess(["normalize", "--format", "solarwinds"], input: []).finish()
        #expect(badFlag == 64, "a usage error, not a rejection")
        #expect(badFlagErr.contains("known: "))
    }

    @Test func normalizeExplainSaysWhatWasDetectedAndWhy() throws {
        let mail = Array("Subject: x\r\nAuto-Submitted: auto-replied\r\nFrom: a@example.com\r\n\r\naway".utf8)
        let (status, out, _) = try IngestorProcess(["normalize", "--explain"], input: mail).finish()
        #expect(status == 2, "a rejection")
        #expect(out.hasPrefix("stdin: detected email\n"), "\(out)")
        #expect(out.contains("rejected: auto_reply: an automatic reply (Auto-Submitted: auto-replied)"), "\(out)")
        let alert = Array(
            #"{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"A"}}]}"#.utf8
        )
        let (ok, explained, _) = try IngestorProcess(["normalize", "--explain"], input: alert).finish()
        #expect(ok == 0)
        #expect(explained.contains("alertmanager recognises it: `alerts[]`"), "\(explained)")
        #expect(explained.contains("→ firing medium am:"), "\(explained)")
    }

    @Test func normalizeCommandsIsADryRunOfDeduplication() throws {
        let directory = repositoryRoot.appendingPathComponent("Tests/NormalizerTests/Fixtures/email")
        let files = ["nagios-service-problem.eml", "nagios-service-problem.eml", "nagios-service-recovery.eml"]
        let (status, out, err) = try IngestorProcess(
            ["normalize", "--commands"] + files.map { directory.appendingPathComponent($0).path }
        ).finish()
        #expect(status == 0)
        let actions = try out.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["action"] as? String
        }
        #expect(actions == ["create", "resolve"])
        #expect(err.contains("suppress email:nagios:web-01/HTTP: duplicate"), "\(err)")
    }

    @Test func versionNamesLibrdkafka() throws {
        let (status, out, _) = try IngestorProcess(["version"]).finish()
        #expect(status == 0)
        #expect(out.contains("librdkafka 2."))
    }

    @Test func wrongConfigurationIsRefusedBeforeAnythingStartsWithEveryProblem() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).yaml")
        try "kafka:\n  bootstrap_servers: nohost\n  session_timeout: soon\ntarget:\n  kind: no-such-target\n".write(
            to: file,
            atomically: true,
            encoding: .utf8
        )
        defer { try? FileManager.default.removeItem(at: file) }
        for command in [["check-config", file.path], ["run", "--config", file.path]] {
            let (status, _, err) = try IngestorProcess(command).finish()
            #expect(status == 2, "\(command)")
            for path in [
                "kafka.bootstrap_servers", "kafka.session_timeout", "target.kind", "sources", "dead_letter.topic",
            ] {
                #expect(err.contains(path), "\(command) should name \(path): \(err)")
            }
        }
    }

    /// The compose file's state.path is a directory of the container, so the machine is not checked here.
    @Test func checkConfigAcceptsTheComposeConfiguration() throws {
        let (status, out, err) = try IngestorProcess(
            [
                "check-config", "--no-host-checks",
                repositoryRoot.appendingPathComponent("examples/compose/ingestor.yaml").path,
            ],
            environment: ["DEVREV_TOKEN": "x"]
        ).finish()
        #expect(status == 0, "\(err)")
        #expect(out.hasPrefix("ok: "))
        #expect(out.contains("  state: /var/lib/ingestor/state.sqlite (not checked here)"), "\(out)")
        #expect(out.contains("  target: devrev — DevRev, after DevRev REST API"), "named from the catalog: \(out)")
        #expect(out.contains("  lost-state safety net: on: a key with no state is looked up at devrev"), "\(out)")
        let (_, off, _) = try IngestorProcess(
            [
                "check-config", "--no-host-checks",
                repositoryRoot.appendingPathComponent("examples/compose/ingestor.yaml").path,
            ],
            environment: ["DEVREV_TOKEN": "x", "INGESTOR_PIPELINE__LOOKUP_UNKNOWN_KEYS": "false"]
        ).finish()
        #expect(off.contains("  lost-state safety net: off (pipeline.lookup_unknown_keys: false)"), "\(off)")
    }

    /// A backoff setting that cannot hold, a value from the environment, and a state file in a missing directory:
    /// `check-config` names each by its key (and variable), and `run` refuses the state file for the true reason.
    @Test func checkConfigAndRunNameEveryProblemWhereItCameFrom() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("gone").path
        let file = directory.appendingPathComponent("ingestor.yaml").path
        try
            (validYAML.replacingOccurrences(of: "    initial_backoff: 100ms", with: "    initial_backoff: 2m")
            + "\nstate: {path: \"\(missing)/state.sqlite\"}\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let environment = ["DEVREV_TOKEN": "t", "INGESTOR_PIPELINE__LANES": "sixteen"]

        let (status, out, err) = try IngestorProcess(["check-config", file], environment: environment).finish()
        #expect(status == 2)
        #expect(out.isEmpty)
        #expect(err.contains("has 3 problems"), "\(err)")
        #expect(
            err.contains(
                #"pipeline.retry.initial_backoff = "2m": must not be larger than pipeline.retry.max_backoff (30s)"#
            ),
            "\(err)"
        )
        #expect(
            err.contains(#"pipeline.lanes = "sixteen" (from the environment: INGESTOR_PIPELINE__LANES): "#),
            "\(err)"
        )
        let stateProblem =
            #"state.path = "\#(missing)/state.sqlite": is in a directory that does not exist: \#(missing)"#
        #expect(err.contains(stateProblem), "\(err)")

        // The same file with the backoff and the environment right: run refuses the state file for what it is.
        try (validYAML + "\nstate: {path: \"\(missing)/state.sqlite\"}\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        for command in [["check-config", file], ["run", "--config", file]] {
            let (status, _, err) = try IngestorProcess(command, environment: ["DEVREV_TOKEN": "t"]).finish()
            #expect(status == 2, "\(command): \(err)")
            #expect(err.contains("has 1 problem:\n  - " + stateProblem), "\(command): \(err)")
            #expect(!err.contains("in use"), "\(command): not another process")
        }
        let (skipped, skippedOut, _) = try IngestorProcess(
            ["check-config", "--no-host-checks", file],
            environment: ["DEVREV_TOKEN": "t"]
        ).finish()
        #expect(skipped == 0)
        #expect(skippedOut.contains("  state: \(missing)/state.sqlite (not checked here)"))
    }

    @Test func devKafkaPrintsBootstrapFirstAndServesOtherProcesses() async throws {
        let kafka = try IngestorProcess(["dev-kafka", "--brokers", "2", "--topic", "cli.raw:3"])
        let first = kafka.firstLine()
        #expect(first.hasPrefix("bootstrap=127.0.0.1:"))
        let bootstrap = String(first.dropFirst("bootstrap=".count))
        #expect(bootstrap.split(separator: ",").count == 2)
        // Another process (kcat, when installed) can produce to it and read back.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat") {
            let produce = Process()
            produce.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
            produce.arguments = ["-b", bootstrap, "-t", "cli.raw", "-P", "-k", "k1", "-p", "1"]
            let input = Pipe()
            produce.standardInput = input
            try produce.run()
            input.fileHandleForWriting.write(Data("hello from kcat\n".utf8))
            try input.fileHandleForWriting.close()
            produce.waitUntilExit()
            #expect(produce.terminationStatus == 0)
            let consume = Process()
            consume.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
            consume.arguments = [
                "-b", bootstrap, "-t", "cli.raw", "-C", "-p", "1", "-o", "beginning", "-c", "1", "-e", "-f", "%k=%s",
            ]
            let output = Pipe()
            consume.standardOutput = output
            try consume.run()
            consume.waitUntilExit()
            #expect(
                String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    == "k1=hello from kcat"
            )
        }
        #expect(kafka.terminate() == 0, "SIGTERM stops it cleanly")
    }

    @Test func mockAPIPrintsItsAddressFirstAndChecksAuth() async throws {
        let api = try IngestorProcess(["mock-api", "--flavor", "devrev", "--token", "cli-token"])
        let first = api.firstLine()
        #expect(first.hasPrefix("listening=http://127.0.0.1:"))
        let base = String(first.dropFirst("listening=".count))
        let client = CurlHTTPClient(logger: Logger(label: "test"))
        defer { client.shutdown() }
        let body = Array(#"{"title":"x"}"#.utf8)
        let unauthorized = try await client.execute(
            HTTPRequest(method: "POST", url: base + "/incidents.create", body: body)
        )
        #expect(unauthorized.status == 401)
        let created = try await client.execute(
            HTTPRequest(
                method: "POST",
                url: base + "/incidents.create",
                headers: [
                    HTTPHeader("Authorization", "Bearer cli-token"), HTTPHeader("Content-Type", "application/json"),
                ],
                body: body
            )
        )
        #expect(created.status == 201)
        let incidents = try await client.execute(HTTPRequest(method: "GET", url: base + "/_mock/incidents"))
        #expect(String(decoding: incidents.body, as: UTF8.self).contains(#""calls":["create"]"#))
        let requests = try await client.execute(HTTPRequest(method: "GET", url: base + "/_mock/requests"))
        #expect(
            String(decoding: requests.body, as: UTF8.self).contains(#""authorization":"Bearer [redacted]""#),
            "requests show their headers, credentials redacted"
        )
        #expect(api.terminate() == 0)
    }

    @Test func mockAPITakesEachFlavorsVariantsAndRefusesOthers() async throws {
        let infraon = try IngestorProcess(["mock-api", "--flavor", "infraon", "--variant", "wrapped-incident"])
        let first = infraon.firstLine()
        #expect(first.hasPrefix("listening=http://127.0.0.1:"))
        let client = CurlHTTPClient(logger: Logger(label: "test"))
        defer { client.shutdown() }
        let health = try await client.execute(
            HTTPRequest(method: "GET", url: String(first.dropFirst("listening=".count)) + "/_mock/health")
        )
        #expect(String(decoding: health.body, as: UTF8.self) == #"{"flavor":"infraon"}"#)
        #expect(infraon.terminate() == 0)
        let (status, _, error) = try IngestorProcess(["mock-api", "--flavor", "devrev", "--variant", "nope"]).finish()
        #expect(status != 0)
        #expect(error.contains("devrev has no variants"), "\(error)")
    }
}

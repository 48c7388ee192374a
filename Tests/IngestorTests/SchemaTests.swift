import Foundation
import Testing

/// What `ingestor normalize` prints, for every fixture, validates against `schemas/` with the `jsonschema` package
/// (a real validator, installed by scripts/install-deps), through `scripts/validate-json` — the script users run.
@Suite("Schemas", .serialized)
struct SchemaTests {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/NormalizerTests/Fixtures")
    static let eventSchema = repositoryRoot.appendingPathComponent("schemas/normalized-event.schema.json").path
    static let commandSchema = repositoryRoot.appendingPathComponent("schemas/incident-command.schema.json").path

    /// A Python with `jsonschema`: the one on PATH, else Debian's.
    static func python() throws -> String {
        for candidate in ["/usr/bin/env python3", "/usr/bin/python3"] {
            let parts = candidate.split(separator: " ").map(String.init)
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: parts[0])
            probe.arguments = Array(parts.dropFirst()) + ["-c", "import jsonschema"]
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return candidate }
        }
        throw CocoaError(
            .executableNotLoadable,
            userInfo: [NSLocalizedDescriptionKey: "no python3 with jsonschema: run scripts/install-deps"]
        )
    }

    static func files(_ directory: String, suffix: String) throws -> [String] {
        let url = fixtures.appendingPathComponent(directory)
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(suffix) }.sorted()
            .map { url.appendingPathComponent($0).path }
    }

    /// Every JSON fixture detected by shape, the route-only formats named, and every mail.
    static func normalizeAll(_ extra: [String]) throws -> String {
        var lines = ""
        var jsonFiles: [String] = []
        for directory in try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted()
        where !["email", "datadog", "zabbix"].contains(directory) {
            jsonFiles += try files(directory, suffix: ".json")
        }
        for (format, files) in [
            ("auto", jsonFiles), ("datadog", try files("datadog", suffix: ".json")),
            ("zabbix", try files("zabbix", suffix: ".json")), ("email", try files("email", suffix: ".eml")),
        ] {
            let (status, out, err) = try IngestorProcess(["normalize", "--format", format] + extra + files).finish()
            #expect(status == 0 || status == 2, "\(format): \(err)")
            #expect(!out.isEmpty, "\(format) fixtures give output")
            lines += out
        }
        return lines
    }

    /// Runs the validator over `lines`; returns its exit status and report.
    static func validate(_ lines: String, schema: String) throws -> (Int32, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID()).jsonl")
        try lines.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let parts = try python().split(separator: " ").map(String.init)
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: parts[0])
        process.arguments =
            Array(parts.dropFirst()) + [
                repositoryRoot.appendingPathComponent("scripts/validate-json").path, schema, file.path,
            ]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, report)
    }

    @Test func everyEmittedEventMatchesTheEventSchema() throws {
        let lines = try Self.normalizeAll([])
        #expect(lines.split(separator: "\n").count > 50)
        let (status, report) = try Self.validate(lines, schema: Self.eventSchema)
        #expect(status == 0, "\(report)")
    }

    @Test func everyCommandTheCorrelatorEmitsMatchesTheCommandSchema() throws {
        let lines = try Self.normalizeAll(["--commands"])
        let actions = Set(
            lines.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["action"] as? String
            }
        )
        #expect(actions == ["create", "update", "resolve", "comment"], "the fixtures exercise every action")
        let (status, report) = try Self.validate(lines, schema: Self.commandSchema)
        #expect(status == 0, "\(report)")
    }

    @Test func theSchemasRejectWhatTheyShould() throws {
        let (_, good, _) = try IngestorProcess([
            "normalize", Self.fixtures.appendingPathComponent("pagerduty/v2-trigger.json").path,
        ]).finish()
        let event = try #require(try JSONSerialization.jsonObject(with: Data(good.utf8)) as? [String: Any])
        var broken = event
        broken["status"] = "open"
        var missing = event
        missing["dedupKey"] = nil
        var resolvedAtWhileFiring = event
        resolvedAtWhileFiring["resolvedAt"] = "2026-11-24T08:00:00.000Z"
        let lines = try [event, broken, missing, resolvedAtWhileFiring].map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self)
        }.joined(separator: "\n")
        let (status, report) = try Self.validate(lines, schema: Self.eventSchema)
        #expect(status == 1)
        #expect(report.contains("1 of 4 valid"), "\(report)")
        #expect(report.contains("line 2: status"))
        #expect(report.contains("line 3: (root): 'dedupKey' is a required property"))

        let create =
            #"{"action":"resolve","dedupKey":"k","externalId":null,"reason":"r","event":\#(lines.split(separator: "\n")[0])}"#
        let (commandStatus, commandReport) = try Self.validate(create, schema: Self.commandSchema)
        #expect(commandStatus == 1, "a resolve needs the incident's id: \(commandReport)")
    }
}

import Foundation
import IncidentAPI
import Normalizer
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
        where !["email", "datadog", "zabbix"].contains(directory) && !directory.contains(".") {
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

    /// The bodies the DevRev and OneTrust adapters send, checked against the request schemas of the vendors'
    /// published OpenAPI specs (extracted into schemas/vendor/ by scripts/extract-openapi-schemas).
    @Test func adapterBodiesMatchTheVendorsOpenAPISchemas() throws {
        var event = NormalizedEvent(
            source: "alertmanager",
            dedupKey: "am:1",
            status: .firing,
            severity: .high,
            title: "DiskFull on db-1",
            description: "97% full",
            labels: ["instance": "db-1"],
            occurredAt: Timestamp(rfc3339: "2026-11-24T08:00:00Z")
        )
        func body(_ request: HTTPRequest) -> String { String(decoding: request.body ?? [], as: UTF8.self) }
        func command(_ action: IncidentCommand.Action) -> IncidentCommand {
            IncidentCommand(
                action: action,
                dedupKey: "am:1",
                externalID: action == .create ? nil : "id-1",
                event: event,
                reason: "r"
            )
        }
        var devrev = DevRevConfiguration(token: Secret("t"), resolvedStage: "don:stage/resolved")
        devrev.triageStage = "don:stage/triage"
        devrev.labelFields = ["tnt__host": "instance"]
        let devrevBuilder = DevRevRequestBuilder(configuration: devrev)
        var devrevBodies: [IncidentCommand.Action: String] = [:]
        for action in IncidentCommand.Action.allCases {
            if action == .resolve { event.resolvedAt = Timestamp(rfc3339: "2026-11-24T08:30:00Z") }
            devrevBodies[action] = body(try devrevBuilder.request(for: command(action)))
        }
        let devrevSchemas = repositoryRoot.appendingPathComponent("schemas/vendor/devrev-incidents.schemas.json").path
        for (action, schema) in [
            (IncidentCommand.Action.create, "incidents-create-request"), (.update, "incidents-update-request"),
            (.resolve, "incidents-update-request"), (.comment, "timeline-entries-create-request"),
        ] {
            let (status, report) = try Self.validate(devrevBodies[action]!, schema: devrevSchemas + "#" + schema)
            #expect(status == 0, "DevRev \(action): \(report)")
        }

        var onetrust = OneTrustConfiguration(
            baseURL: "https://app.onetrust.com",
            authentication: .none,
            orgGroupID: "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
            resolvedStage: "Closed"
        )
        onetrust.severityAttribute = "Severity"
        let builder = OneTrustRequestBuilder(configuration: onetrust)
        let details = JSONObject([
            ("name", .string("old")), ("incidentTypeName", .string("Unknown")),
            ("orgGroupId", .string(onetrust.orgGroupID)), ("notificationNeeded", .string("UNKNOWN")),
            ("sourceType", .string("INTEGRATION")), ("dateOccurred", .string("2026-11-24T08:00:00.000Z")),
            (
                "attributeValues",
                .object(
                    JSONObject([
                        (
                            "Severity",
                            .array([
                                .object(
                                    JSONObject([
                                        ("id", .string("3f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")),
                                        ("value", .string("Low")),
                                    ])
                                )
                            ])
                        )
                    ])
                )
            ),
        ])
        let onetrustSchemas = repositoryRoot.appendingPathComponent("schemas/vendor/onetrust-incident.schemas.json")
            .path
        for (text, schema) in [
            (body(builder.create(command(.create))), "IncidentCreateRequest"),
            (
                body(builder.put("id-1", builder.replacement(from: details, event: event, dedupKey: "am:1"))),
                "IncidentUpdateRequest"
            ),
            (body(builder.stage("id-1", to: "Closed")), "WorkflowSpecificStageNavigationRequest"),
            (body(builder.search("am:1")), "SearchCriteriaInformation"),
        ] {
            let (status, report) = try Self.validate(text, schema: onetrustSchemas + "#" + schema)
            #expect(status == 0, "OneTrust \(schema): \(report)")
        }
        // The check can fail: a body the spec forbids is reported.
        let (status, _) = try Self.validate(
            #"{"title": 5, "severity": "high"}"#,
            schema: devrevSchemas + "#incidents-create-request"
        )
        #expect(status == 1)
    }
}

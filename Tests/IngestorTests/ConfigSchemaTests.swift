import Foundation
import IncidentAPI
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Pipeline
import Testing
import Yams

/// `schemas/config.schema.json` describes the configuration file the loader reads: every example configuration in
/// the repository and every configuration snippet in the README validates against it (with the `jsonschema` package,
/// through `scripts/validate-json`, as in ``SchemaTests``), its enums are the loader's own lists, and its defaults are
/// the Swift types' declared defaults.
@Suite("Configuration schema", .serialized)
struct ConfigSchemaTests {
    static let schemaPath = repositoryRoot.appendingPathComponent("schemas/config.schema.json").path

    /// Top-level keys of YAML blocks in the README that configure another tool (Alertmanager's webhook receiver).
    static let otherToolsKeys: Set<String> = ["route", "receivers", "global", "inhibit_rules", "templates"]

    static func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: schemaPath))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A YAML document as JSON values: keys as strings, timestamps as text.
    static func json(_ value: Any?) -> Any {
        switch value {
        case nil, is NSNull: return NSNull()
        case let map as [AnyHashable: Any]:
            return Dictionary(map.map { ("\($0.key)", json($0.value)) }, uniquingKeysWith: { _, last in last })
        case let list as [Any]: return list.map(json)
        case let date as Date: return ISO8601DateFormatter().string(from: date)
        case let value as Bool: return value
        case let value as Int: return value
        case let value as Double: return value
        case let value as String: return value
        case let value?: return "\(value)"
        }
    }

    static func line(_ document: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The schema with `required` (and `dependentRequired`) dropped from every object that lists properties: what a
    /// fragment of a configuration file is checked against. The secret's `oneOf` of `required` stays.
    static func relaxed(_ node: Any) -> Any {
        if let map = node as? [String: Any] {
            let isObject = map["properties"] != nil
            return Dictionary(
                uniqueKeysWithValues: map.compactMap { key, value in
                    isObject && (key == "required" || key == "dependentRequired") ? nil : (key, relaxed(value))
                }
            )
        }
        if let list = node as? [Any] { return list.map(relaxed) }
        return node
    }

    /// One document to validate: where it came from, and whether it is a whole file.
    struct Document {
        var name: String
        var value: [String: Any]
        var whole: Bool
    }

    /// Validates every document, the whole ones against the schema and fragments against the relaxed schema.
    static func validate(_ documents: [Document]) throws -> [(String, Int32, String)] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-schema-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let relaxedPath = directory.appendingPathComponent("config.relaxed.json")
        try JSONSerialization.data(withJSONObject: relaxed(try schema())).write(to: relaxedPath)
        var results: [(String, Int32, String)] = []
        for (whole, schema) in [(true, schemaPath), (false, relaxedPath.path)] {
            let group = documents.filter { $0.whole == whole }
            guard !group.isEmpty else { continue }
            let (status, report) = try SchemaTests.validate(
                try group.map { try line($0.value) }.joined(separator: "\n"),
                schema: schema
            )
            // The report names documents by line; put their names back.
            var named = report
            for (index, document) in group.enumerated().reversed() {
                named = named.replacingOccurrences(of: "line \(index + 1):", with: "\(document.name):")
            }
            results.append((whole ? "whole files" : "fragments", status, named))
        }
        return results
    }

    /// Classifies a YAML document: a configuration (whole or fragment) when a top-level key is one of the file's
    /// sections, `nil` otherwise.
    static func configuration(_ name: String, _ text: String, schema: [String: Any]) throws -> Document? {
        let value = json(try Yams.load(yaml: text))
        guard let map = value as? [String: Any] else { return nil }
        let sections = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
        guard !sections.isDisjoint(with: map.keys) else { return nil }
        let required = Set(schema["required"] as? [String] ?? [])
        return Document(name: name, value: map, whole: required.isSubset(of: map.keys))
    }

    /// Every YAML file in the repository (outside build products), as configurations; the others are named.
    static func exampleFiles(schema: [String: Any]) throws -> (configurations: [Document], others: [String]) {
        let root = repositoryRoot.standardizedFileURL
        let skipped: Set<String> = [".build", ".git", ".swiftpm", "node_modules"]
        guard
            let walker = FileManager.default.enumerator(
                at: root,
                includingPropertiesForKeys: [.isDirectoryKey],
                options: [.skipsHiddenFiles]
            )
        else { return ([], []) }
        var configurations: [Document] = []
        var others: [String] = []
        for case let url as URL in walker {
            if skipped.contains(url.lastPathComponent) {
                walker.skipDescendants()
                continue
            }
            guard ["yaml", "yml"].contains(url.pathExtension) else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            let text = try String(contentsOf: url, encoding: .utf8)
            if let document = try configuration(relative, text, schema: schema) {
                configurations.append(document)
            } else {
                others.append(relative)
            }
        }
        return (configurations.sorted { $0.name < $1.name }, others.sorted())
    }

    /// Whether the YAML file at `relative` is a Prometheus rule file (only `groups`) or promtool's unit tests of one
    /// (`rule_files` and `tests`).
    static func isPrometheusRules(_ relative: String) throws -> Bool {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(relative), encoding: .utf8)
        let keys = Set((try Yams.load(yaml: text) as? [String: Any] ?? [:]).keys)
        return keys == ["groups"] || keys.isSuperset(of: ["rule_files", "tests"])
    }

    /// The README's ```yaml blocks: each with the line its fence is on.
    static func readmeBlocks() throws -> [(line: Int, text: String)] {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [(line: Int, text: String)] = []
        var current: (Int, [Substring])?
        for (index, line) in readme.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if var block = current {
                if line.hasPrefix("```") {
                    blocks.append((line: block.0, text: block.1.joined(separator: "\n")))
                    current = nil
                } else {
                    block.1.append(line)
                    current = block
                }
            } else if line.trimmingCharacters(in: .whitespaces) == "```yaml" {
                current = (index + 1, [])
            }
        }
        return blocks
    }

    /// Every YAML file in the repository whose top-level keys name a section of the file, and every ```yaml block of
    /// the README that does, validates: whole files (every required section present) against the schema, fragments
    /// against it with `required` relaxed. Any other YAML file must be a compose file or Prometheus rules (a rule
    /// file, or its promtool unit tests), any other block another tool's.
    @Test func everyExampleConfigurationAndREADMESnippetMatchesTheSchema() throws {
        let schema = try Self.schema()
        let (files, others) = try Self.exampleFiles(schema: schema)
        #expect(files.contains { $0.name == "examples/compose/ingestor.yaml" && $0.whole })
        for other in others where try !Self.isPrometheusRules(other) {
            #expect(
                other.split(separator: "/").last?.hasPrefix("docker-compose") == true,
                "\(other) is neither an ingestor configuration nor a compose file: name its sections right"
            )
        }

        var snippets: [Document] = []
        for block in try Self.readmeBlocks() {
            let name = "README.md:\(block.line)"
            if let document = try Self.configuration(name, block.text, schema: schema) {
                snippets.append(document)
            } else {
                let keys = Set((try Yams.load(yaml: block.text) as? [String: Any] ?? [:]).keys)
                #expect(
                    !keys.isEmpty && keys.isSubset(of: Self.otherToolsKeys),
                    "\(name): a YAML block that is neither ingestor configuration nor a known tool's: \(keys.sorted())"
                )
            }
        }
        #expect(snippets.count >= 10, "the README's configuration snippets are found")
        #expect(snippets.contains { $0.whole }, "the README's whole example is checked as a whole file")

        for (group, status, report) in try Self.validate(files + snippets) {
            #expect(status == 0, "\(group):\n\(report)")
        }
    }

    /// The schema refuses what the loader refuses: a misspelt key, a value of the wrong type, an unknown target kind,
    /// a secret in clear text, a duration without its unit; and the loader agrees on each.
    @Test func theSchemaRefusesWhatTheLoaderRefuses() throws {
        let text = try String(
            contentsOf: repositoryRoot.appendingPathComponent("examples/compose/ingestor.yaml"),
            encoding: .utf8
        )
        let valid = try #require(Self.json(try Yams.load(yaml: text)) as? [String: Any])
        func changed(_ change: (inout [String: Any]) -> Void) -> [String: Any] {
            var copy = valid
            change(&copy)
            return copy
        }
        func setting(_ section: String, _ key: String, _ value: Any) -> [String: Any] {
            changed { document in
                var map = document[section] as? [String: Any] ?? [:]
                map[key] = value
                document[section] = map
            }
        }
        let misspelt = changed { document in
            var kafka = document["kafka"] as? [String: Any] ?? [:]
            kafka["group_idd"] = kafka.removeValue(forKey: "group_id")
            document["kafka"] = kafka
        }
        let wrongType = setting("pipeline", "lanes", "many")
        let unknownKind = changed { document in
            var target = document["target"] as? [String: Any] ?? [:]
            target["kind"] = "jira"
            document["target"] = target
        }
        let clearSecret = changed { document in
            var target = document["target"] as? [String: Any] ?? [:]
            var devrev = target["devrev"] as? [String: Any] ?? [:]
            devrev["token"] = "abc123"
            target["devrev"] = devrev
            document["target"] = target
        }
        let noUnit = setting("pipeline", "drain_timeout", "5 seconds")
        let documents = [valid, misspelt, wrongType, unknownKind, clearSecret, noUnit]

        let (status, report) = try SchemaTests.validate(
            try documents.map(Self.line).joined(separator: "\n"),
            schema: Self.schemaPath
        )
        #expect(status == 1)
        #expect(report.contains("1 of 6 valid"), "\(report)")
        #expect(report.contains("line 2: kafka: Additional properties are not allowed ('group_idd'"), "\(report)")
        #expect(report.contains("line 3: pipeline/lanes: 'many' is not of type 'integer'"), "\(report)")
        #expect(report.contains("line 4: target/kind: 'jira' is not one of"), "\(report)")
        #expect(report.contains("line 5: target/devrev/token:"), "\(report)")
        #expect(report.contains("line 6: pipeline/drain_timeout:"), "\(report)")

        // JSON is YAML: the loader reads the same documents, and refuses the same five.
        for (index, document) in documents.enumerated() {
            let yaml = try Self.line(document)
            let parsed = Result {
                try IngestorConfiguration.parse(yaml: yaml, environment: ["DEVREV_TOKEN": "t"])
            }
            if index == 0 {
                _ = try parsed.get()
            } else {
                #expect(throws: ConfigurationError.self, "document \(index + 1)") { try parsed.get() }
            }
        }
    }

    /// The schema's enums are the lists the loader reads from the Swift types, not copies that could drift.
    @Test func theSchemasEnumsAreTheLoadersLists() throws {
        let schema = try Self.schema()
        let defs = try #require(schema["$defs"] as? [String: Any])
        func enumeration(_ node: Any?) -> [String] { (node as? [String: Any])?["enum"] as? [String] ?? [] }

        let target = try Self.node("target", in: schema)
        let targetProperties = try #require(target["properties"] as? [String: Any])
        let kinds = TargetCatalog.entries.map(\.descriptor.kind)
        #expect(enumeration(targetProperties["kind"]) == kinds, "target.kind lists TargetCatalog's kinds, in order")
        for kind in kinds {
            #expect(
                (targetProperties[kind] as? [String: Any])?["$ref"] as? String == "#/$defs/target.\(kind)",
                "target.\(kind) refers to its own $defs entry"
            )
            #expect(defs["target.\(kind)"] != nil, "$defs has target.\(kind)")
        }
        let sections = Set(targetProperties.keys).subtracting(["kind", "rate_limit"])
        #expect(sections == Set(kinds), "target has a section for each kind and no other")

        let formats = Normalizer().knownFormats.map(\.name)
        #expect(Set(enumeration(defs["format"])) == Set(formats), "the formats are the decoders'")
        #expect(enumeration(defs["format"]).count == formats.count)
        for path in ["sources[].format", "intake.sources[].format"] {
            #expect(try Self.node(path, in: schema)["$ref"] as? String == "#/$defs/format", "\(path)")
        }
        #expect(enumeration(defs["severity"]) == Severity.allCases.map(\.rawValue))
        #expect(enumeration(defs["status"]) == AlertStatus.allCases.map(\.rawValue))
        #expect(enumeration(try Self.node("logging.level", in: schema)) == Logger.Level.allCases.map(\.rawValue))
        #expect(enumeration(try Self.node("kafka.offset_reset", in: schema)).sorted() == ["earliest", "latest"])
        let http = try #require((defs["target.http"] as? [String: Any])?["properties"] as? [String: Any])
        for action in IncidentCommand.Action.allCases {
            #expect(http[action.rawValue] != nil, "target.http.\(action.rawValue)")
        }
    }

    // MARK: Keys

    static let strayKey = "zzz_not_a_key"

    /// `document` with ``strayKey`` added to the map at `path` (`name[]` is a list's first entry).
    static func inserting(_ document: Any, at path: ArraySlice<Substring>) -> Any {
        var map = document as? [String: Any] ?? [:]
        guard let segment = path.first else {
            map[strayKey] = 1
            return map
        }
        if segment.hasSuffix("[]") {
            let name = String(segment.dropLast(2))
            var list = map[name] as? [Any] ?? [[String: Any]()]
            list[0] = inserting(list[0], at: path.dropFirst())
            map[name] = list
        } else {
            map[String(segment)] = inserting(map[String(segment)] ?? [String: Any](), at: path.dropFirst())
        }
        return map
    }

    /// The keys the loader reads in the map at `path`: it lists them when it meets ``strayKey`` there.
    static func loaderKeys(_ document: Any, at path: String) throws -> Set<String>? {
        let key = (path.isEmpty ? "" : path.replacingOccurrences(of: "[]", with: "[0]") + ".") + strayKey
        do {
            _ = try IngestorConfiguration.parse(yaml: try line(document), environment: ["T": "t"])
        } catch let error as ConfigurationError {
            guard let rule = error.problems.first(where: { $0.path == key })?.rule,
                let listed = rule.components(separatedBy: "known here: ").last
            else { return nil }
            return Set(listed.components(separatedBy: ", "))
        }
        return nil
    }

    /// The keys the schema lists for the map at `path`.
    static func schemaKeys(_ path: String, in schema: [String: Any]) throws -> Set<String> {
        var node = path.isEmpty ? schema : try Self.node(path, in: schema)
        if node["properties"] == nil, let reference = node["$ref"] as? String,
            let target = (schema["$defs"] as? [String: Any])?[String(reference.dropFirst("#/$defs/".count))]
                as? [String: Any]
        {
            node = target
        }
        return Set((node["properties"] as? [String: Any] ?? [:]).keys)
    }

    /// Every map the loader reads lists exactly the keys the schema lists there: a key the loader learns and the
    /// schema misses (or the reverse) fails here.
    @Test func theSchemaListsTheKeysTheLoaderReads() throws {
        let schema = try Self.schema()
        let base: [String: Any] = [
            "kafka": ["bootstrap_servers": "k:9092", "create_topics": [String: Any]()],
            "sources": [
                ["topic": "a", "generic": [String: Any](), "email": ["patterns": [["name": "n", "subject": "s"]]]]
            ],
            "dead_letter": ["topic": "d"],
            "pipeline": ["storm_guard": [String: Any](), "retry": [String: Any]()],
            "limits": [String: Any](),
            "target": [
                "kind": "devrev", "rate_limit": [String: Any](),
                "devrev": ["token": ["env": "T"], "resolved_stage": "s"],
            ],
            "state": [String: Any](),
            "ops": ["readiness": [String: Any]()],
            "intake": [
                "sources": [["name": "n", "topic": "a", "auth": ["hmac": ["secret": ["env": "T"]]], "sns": [:]]]
            ],
            "logging": [String: Any](),
        ]
        let sections = [
            "", "kafka", "kafka.create_topics", "sources[]", "sources[].generic", "sources[].email",
            "sources[].email.patterns[]", "dead_letter", "pipeline", "pipeline.storm_guard", "pipeline.retry", "limits",
            "target", "target.rate_limit", "target.devrev", "state", "ops", "ops.readiness", "intake",
            "intake.sources[]", "intake.sources[].auth", "intake.sources[].auth.hmac",
            "intake.sources[].auth.hmac.secret",
            "intake.sources[].sns", "logging",
        ]
        var documents = sections.map { ($0, Self.inserting(base, at: $0.split(separator: ".")[...])) }
        // Every kind's section (read when target.kind names it), and the maps nested in them.
        let nested = [
            "target.motadata.levels", "target.motadata.levels.critical", "target.symantec.levels",
            "target.symantec.levels.info", "target.infraon.levels", "target.infraon.levels.high",
            "target.infraon.levels.high.urgency", "target.http.create", "target.http.lookup",
        ]
        for path in TargetCatalog.entries.map({ "target.\($0.descriptor.kind)" }) + nested
        where path != "target.devrev" {
            let segments = path.split(separator: ".")
            var document = base
            document["target"] = Self.inserting(["kind": String(segments[1])], at: segments.dropFirst())
            documents.append((path, document))
        }
        // Each target auth type: the keys of its variant in $defs/targetAuth, read by a target that takes the type.
        let variants = try #require((schema["$defs"] as? [String: Any])?["targetAuth"] as? [String: Any])["oneOf"]
        var authKeys: [String: Set<String>] = [:]
        for case let variant as [String: Any] in variants as? [Any] ?? [] {
            let properties = variant["properties"] as? [String: Any] ?? [:]
            if let type = (properties["type"] as? [String: Any])?["const"] as? String {
                authKeys[type] = Set(properties.keys)
            }
        }
        let takers = ["apikey": "motadata", "login": "infraon"]
        #expect(authKeys.count == 8, "every auth type has its variant")
        for type in authKeys.keys.sorted() {
            let kind = takers[type] ?? "http"
            var document = base
            document["target"] = ["kind": kind, kind: ["auth": ["type": type, Self.strayKey: 1]]]
            let path = "target.\(kind).auth"
            let loader = try #require(
                try Self.loaderKeys(document, at: path),
                "the loader refuses a stray key in \(path)"
            )
            #expect(authKeys[type] == loader, "auth type \(type): the loader reads \(loader.sorted())")
        }

        for (path, document) in documents {
            let loader = try #require(
                try Self.loaderKeys(document, at: path),
                "the loader refuses a stray key in \(path)"
            )
            let described = try Self.schemaKeys(path, in: schema)
            #expect(
                described == loader,
                "\(path.isEmpty ? "(root)" : path): only the loader reads \(loader.subtracting(described).sorted()), only the schema lists \(described.subtracting(loader).sorted())"
            )
        }
    }

    // MARK: Defaults

    /// The schema node of a dotted key path; `name[]` steps into a list's items; `$ref`s are followed.
    static func node(_ path: String, in schema: [String: Any]) throws -> [String: Any] {
        let defs = schema["$defs"] as? [String: Any] ?? [:]
        func resolved(_ node: [String: Any]) -> [String: Any] {
            guard node["properties"] == nil, node["items"] == nil, node["anyOf"] == nil,
                let reference = node["$ref"] as? String, reference.hasPrefix("#/$defs/"),
                let target = defs[String(reference.dropFirst("#/$defs/".count))] as? [String: Any]
            else { return node }
            return resolved(target)
        }
        func items(_ node: [String: Any]) -> [String: Any]? {
            if let items = node["items"] as? [String: Any] { return items }
            let variants = node["anyOf"] as? [[String: Any]] ?? []
            return variants.lazy.compactMap { $0["items"] as? [String: Any] }.first
        }
        var current = schema
        for segment in path.split(separator: ".") {
            let isList = segment.hasSuffix("[]")
            let name = String(isList ? segment.dropLast(2) : segment)
            let properties = resolved(current)["properties"] as? [String: Any]
            current = try #require(properties?[name] as? [String: Any], "the schema has \(path)")
            if isList { current = try #require(items(resolved(current)), "\(path) is a list") }
        }
        return current
    }

    /// Every key path in the schema that states a default (following `$ref`s to the target sections and HTTP
    /// operations).
    static func defaultPaths(_ node: [String: Any], _ path: String, defs: [String: Any]) -> Set<String> {
        var found: Set<String> = node["default"] != nil && !path.isEmpty ? [path] : []
        var node = node
        if let reference = node["$ref"] as? String, node["properties"] == nil,
            let target = defs[String(reference.dropFirst("#/$defs/".count))] as? [String: Any],
            target["properties"] != nil || target["items"] != nil
        {
            node = target
        }
        for (name, child) in node["properties"] as? [String: [String: Any]] ?? [:] {
            found.formUnion(defaultPaths(child, path.isEmpty ? name : "\(path).\(name)", defs: defs))
        }
        let lists = [node["items"]] + (node["anyOf"] as? [Any] ?? []).map { ($0 as? [String: Any])?["items"] }
        for case let items as [String: Any] in lists {
            found.formUnion(defaultPaths(items, "\(path)[]", defs: defs))
        }
        return found
    }

    static func duration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        if text == "0" { return .zero }
        for (suffix, millis) in units where text.hasSuffix(suffix) {
            if let value = Int64(text.dropLast(suffix.count)) { return .milliseconds(value * millis) }
        }
        return nil
    }

    /// The schema's defaults are what a configuration that sets nothing gets: read from the loaded configuration
    /// and from the target settings types, so the schema and the Swift declarations cannot drift apart.
    @Test func theSchemasDefaultsAreTheSwiftDefaults() throws {
        let configuration = try IngestorConfiguration.parse(
            yaml: """
                kafka: {bootstrap_servers: "k:9092"}
                sources: [{topic: alerts.raw}]
                dead_letter: {topic: alerts.dlq}
                target: {kind: devrev, devrev: {token: {env: T}, resolved_stage: s}}
                intake: {sources: [{name: n, topic: alerts.raw, auth: {hmac: {secret: {env: T}}}, sns: {}}]}
                """,
            environment: ["T": "t"]
        )
        let kafka = configuration.kafka
        let pipeline = configuration.pipeline
        let storm = pipeline.stormGuard
        let retry = configuration.retry
        let limits = configuration.limits
        let source = try #require(configuration.sources.first)
        let options = source.route.options
        let intake = try #require(configuration.intake)
        let intakeSource = try #require(intake.sources.first)
        guard case .hmac(let hmac) = intakeSource.authentication else {
            Issue.record("intake source reads as hmac")
            return
        }
        let sns = try #require(intakeSource.sns)
        let devrev = try #require(configuration.target.settings as? DevRevConfiguration)
        let motadata = MotadataConfiguration(baseURL: "", authentication: .none, requesterEmail: "")
        let onetrust = OneTrustConfiguration(baseURL: "", authentication: .none, orgGroupID: "", resolvedStage: "")
        let symantec = SymantecConfiguration(
            baseURL: "",
            username: "",
            password: Secret(""),
            affectedUserEmail: "",
            closeCode: ""
        )
        let infraon = InfraonConfiguration(baseURL: "", authentication: .none, requesterEmail: "")
        let servicenow = ServiceNowConfiguration(baseURL: "", authentication: .none)
        let pagerduty = PagerDutyConfiguration(routingKey: Secret(""))
        let http = GenericHTTPConfiguration(baseURL: "", authentication: .none, operations: [:])
        // A pattern's optional keys: what EmailPattern declares for a pattern that sets only the required ones.
        let pattern = EmailPattern(name: "n", subject: "s", identity: [])
        func bySeverity<Value>(_ map: [Severity: Value]) -> [String: Value] {
            Dictionary(uniqueKeysWithValues: map.map { ($0.key.rawValue, $0.value) })
        }

        let swift: [String: Any] = [
            "kafka.group_id": kafka.groupID,
            "kafka.client_id": kafka.clientID,
            "kafka.session_timeout": kafka.sessionTimeout,
            "kafka.max_poll_interval": kafka.maxPollInterval,
            "kafka.offset_reset": kafka.offsetReset.rawValue,
            "kafka.commit_interval": kafka.commitInterval,
            "kafka.create_topics.enabled": kafka.createTopics.enabled,
            "kafka.create_topics.partitions": kafka.createTopics.partitions,
            "kafka.create_topics.replication_factor": kafka.createTopics.replicationFactor,
            "kafka.librdkafka": kafka.librdkafka,
            "sources[].format": source.format.name,
            "sources[].generic_fallback": options.genericFallback,
            "sources[].group_wait": Grouping(labels: []).wait,
            "sources[].generic.title": options.generic.title,
            "sources[].generic.description": options.generic.description,
            "sources[].generic.status": options.generic.status,
            "sources[].generic.severity": options.generic.severity,
            "sources[].generic.dedup_key": options.generic.dedupKey,
            "sources[].generic.occurred_at": options.generic.occurredAt,
            "sources[].generic.resolved_at": options.generic.resolvedAt,
            "sources[].generic.labels": options.generic.labels,
            "sources[].generic.links": options.generic.links,
            "sources[].generic.source": options.generic.source,
            "sources[].generic.events": options.generic.events,
            "sources[].generic.dedup_fields": options.generic.dedupFields,
            "sources[].email.fallback_charset": options.email.fallbackCharset,
            "sources[].email.accept_lists": options.email.acceptLists,
            "sources[].email.automatic_senders": options.email.automaticSenders,
            "sources[].email.auto_reply_subjects": options.email.autoReplySubjects,
            "sources[].email.default_patterns": options.email.patterns == EmailPattern.defaults,
            "sources[].email.patterns[].body_fields": pattern.bodyFields,
            "sources[].email.patterns[].body_wins": pattern.bodyWins,
            "sources[].email.patterns[].resolving_states": pattern.resolvingStates,
            "dead_letter.max_replays": pipeline.maxReplays,
            "pipeline.lanes": pipeline.lanes,
            "pipeline.max_in_flight_events": pipeline.maxInFlightEvents,
            "pipeline.reopen_window": pipeline.reopenWindow,
            "pipeline.lookup_unknown_keys": pipeline.lookupUnknownKeys,
            "pipeline.pause_after": pipeline.pauseAfter,
            "pipeline.skip_repeats_for": pipeline.skipRepeatsFor,
            "pipeline.repeat_memory_bytes": pipeline.repeatMemoBytes,
            "pipeline.min_update_interval": pipeline.minUpdateInterval,
            "pipeline.drain_timeout": pipeline.drainTimeout,
            "pipeline.default_severity": configuration.defaultSeverity.rawValue,
            "pipeline.storm_guard.max_new_per_minute": storm.maxNewPerMinute,
            "pipeline.storm_guard.pass_through": storm.passThrough.map(\.rawValue).sorted(),
            "pipeline.storm_guard.update_interval": storm.updateInterval,
            "pipeline.storm_guard.quiet_period": storm.quietPeriod,
            "pipeline.storm_guard.samples": storm.samples,
            "pipeline.retry.max_attempts": retry.maxAttempts,
            "pipeline.retry.initial_backoff": retry.initialBackoff,
            "pipeline.retry.max_backoff": retry.maxBackoff,
            "pipeline.retry.max_elapsed": retry.maxElapsed,
            "limits.max_payload_bytes": limits.maxPayloadBytes,
            "limits.max_json_depth": limits.maxJSONDepth,
            "limits.max_events_per_message": limits.maxEventsPerMessage,
            "limits.max_header_count": limits.maxHeaderCount,
            "limits.max_header_bytes": limits.maxHeaderBytes,
            "limits.max_mime_depth": limits.maxMIMEDepth,
            "limits.max_mime_parts": limits.maxMIMEParts,
            "limits.max_email_text_bytes": limits.maxEmailTextBytes,
            "target.devrev.base_url": devrev.baseURL,
            "target.devrev.severity_ids": bySeverity(devrev.severityIDs),
            "target.devrev.tag_labels": devrev.tagLabels,
            "target.devrev.label_fields": devrev.labelFields,
            "target.devrev.origin_system": devrev.originSystem,
            "target.devrev.request_timeout": devrev.requestTimeout,
            "target.motadata.api": motadata.api.rawValue,
            "target.motadata.category": motadata.categoryName ?? "",
            "target.motadata.tags": motadata.tags,
            "target.motadata.source": motadata.source,
            "target.motadata.label_fields": motadata.labelFields,
            "target.motadata.acknowledged_status": motadata.acknowledgedStatus,
            "target.motadata.resolved_status": motadata.resolvedStatus,
            "target.motadata.open_status": motadata.openStatus,
            "target.motadata.request_timeout": motadata.requestTimeout,
            "target.onetrust.incident_type": onetrust.incidentTypeName,
            "target.onetrust.severity_values": bySeverity(onetrust.severityValues),
            "target.onetrust.label_attributes": onetrust.labelAttributes,
            "target.onetrust.request_timeout": onetrust.requestTimeout,
            "target.symantec.request_timeout": symantec.requestTimeout,
            "target.infraon.resolved_status": infraon.resolvedStatus,
            "target.infraon.acknowledged_status": infraon.acknowledgedStatus,
            "target.infraon.lookup_pages": infraon.lookupPages,
            "target.infraon.request_timeout": infraon.requestTimeout,
            "target.servicenow.urgency": bySeverity(servicenow.urgency),
            "target.servicenow.impact": bySeverity(servicenow.impact),
            "target.servicenow.correlation_display": servicenow.correlationDisplay,
            "target.servicenow.journal_field": servicenow.journalField.rawValue,
            "target.servicenow.close_code": servicenow.closeCode,
            "target.servicenow.request_timeout": servicenow.requestTimeout,
            "target.pagerduty.base_url": pagerduty.baseURL,
            "target.pagerduty.severities": bySeverity(pagerduty.severities),
            "target.pagerduty.source_labels": pagerduty.sourceLabels,
            "target.pagerduty.component_label": pagerduty.componentLabel ?? "",
            "target.pagerduty.group_label": pagerduty.groupLabel ?? "",
            "target.pagerduty.class_label": pagerduty.classLabel ?? "",
            "target.pagerduty.client": pagerduty.client,
            "target.pagerduty.request_timeout": pagerduty.requestTimeout,
            "target.http.name": http.name,
            "target.http.request_timeout": http.requestTimeout,
            "state.path": configuration.state.path,
            "state.cache_records": configuration.state.cacheRecords,
            "state.audit_retention": configuration.state.auditRetention,
            "state.resolved_retention": configuration.state.resolvedRetention,
            "ops.host": configuration.ops.host,
            "ops.port": configuration.ops.port,
            "ops.readiness.broker_unreachable_after": configuration.ops.readiness.brokerUnreachableAfter,
            "ops.readiness.unassigned_after": configuration.ops.readiness.unassignedAfter,
            "ops.readiness.stuck_after": configuration.ops.readiness.stuckAfter,
            "ops.readiness.probe_interval": configuration.ops.readiness.probeInterval,
            "intake.port": intake.port,
            "intake.ack_timeout": intake.ackTimeout,
            "intake.retry_after": intake.retryAfter,
            "intake.header_timeout": intake.connections.headerTimeout,
            "intake.body_timeout": intake.connections.bodyTimeout,
            "intake.idle_timeout": intake.connections.idleTimeout,
            "intake.max_connections": intake.connections.maxConnections,
            "intake.max_connections_per_address": intake.connections.maxConnectionsPerAddress,
            "intake.sources[].auth.hmac.header": hmac.header,
            "intake.sources[].auth.hmac.algorithm": hmac.algorithm,
            "intake.sources[].auth.hmac.prefix": hmac.prefix,
            "intake.sources[].auth.hmac.encoding": hmac.encoding,
            "intake.sources[].sns.confirm_subscriptions": sns.confirmSubscriptions,
            "intake.sources[].sns.verify_signatures": sns.verifySignatures,
            "intake.sources[].sns.trusted_url_pattern": sns.trustedURLPattern,
            "logging.level": configuration.logLevel.rawValue,
        ]
        // Defaults the schema states that no Swift property holds, each with its reason.
        let unchecked: Set<String> = [
            // A Duration east of UTC, written as an offset; `.zero` is `+00:00`.
            "sources[].zabbix_utc_offset",
            // A pattern's `identity` default is the loader's `["host", "service"]`: EmailPattern's initializer takes
            // it without a default.
            "sources[].email.patterns[].identity",
        ]

        let schema = try Self.schema()
        let stated = Self.defaultPaths(schema, "", defs: schema["$defs"] as? [String: Any] ?? [:])
        let operationMethods = Set(stated.filter { $0.hasPrefix("target.http.") && $0.hasSuffix(".method") })
        // Every operation's method defaults to POST in the loader (Operation has no default of its own).
        #expect(operationMethods.count == 6)
        let uncovered = stated.subtracting(swift.keys).subtracting(unchecked).subtracting(operationMethods)
        #expect(uncovered.isEmpty, "schema defaults no Swift value is compared with: \(uncovered.sorted())")
        #expect(swift.count >= 90)

        for (path, value) in swift.sorted(by: { $0.key < $1.key }) {
            let schemaDefault = try #require(try Self.node(path, in: schema)["default"], "\(path) states a default")
            if let value = value as? Duration {
                let text = try #require(schemaDefault as? String, "\(path)'s default is a duration")
                #expect(Self.duration(text) == value, "\(path): schema \(text), Swift \(value)")
            } else {
                let ours = try Self.line([schemaDefault])
                let theirs = try Self.line([value])
                #expect(ours == theirs, "\(path): schema \(ours), Swift \(theirs)")
            }
        }
    }
}

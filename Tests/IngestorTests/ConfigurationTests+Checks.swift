import Foundation
import IngestorKit
import Testing

/// Problems that involve more than one key, the environment, or this machine.
extension ConfigurationTests {
    @Test func aBadValueFromTheEnvironmentNamesItsVariable() {
        let found = problems(
            validYAML.replacingOccurrences(of: "  lanes: 4", with: "  lanes: many"),
            environment: [
                "DEVREV_TOKEN": "t", "INGESTOR_KAFKA__SESSION_TIMEOUT": "soon", "INGESTOR_KAFKA__GRUOP_ID": "x",
                "INGESTOR_SOURCES": "x.raw:smoke-signals",
            ]
        )
        let byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byPath["kafka.session_timeout"]?.variable == "INGESTOR_KAFKA__SESSION_TIMEOUT", "\(found)")
        #expect(
            byPath["kafka.session_timeout"]?.description
                == #"kafka.session_timeout = "soon" (from the environment: INGESTOR_KAFKA__SESSION_TIMEOUT): "#
                + "must be a duration such as 500ms, 30s, 5m or 1h"
        )
        #expect(byPath["kafka.gruop_id"]?.variable == "INGESTOR_KAFKA__GRUOP_ID", "an unknown key set by a variable")
        #expect(byPath["sources"]?.variable == "INGESTOR_SOURCES", "a key below the variable's")
        #expect(byPath["pipeline.lanes"] != nil && byPath["pipeline.lanes"]?.variable == nil, "the file's own value")
        #expect(byPath["pipeline.lanes"]?.description.contains("environment") == false)
    }

    @Test func theFirstBackoffMayNotExceedTheLargest() {
        func retry(_ settings: String) -> [ConfigProblem] {
            problems(validYAML.replacingOccurrences(of: "    initial_backoff: 100ms", with: settings))
        }
        let found = retry("    initial_backoff: 1m\n    max_backoff: 10s")
        #expect(found.map(\.path) == ["pipeline.retry.initial_backoff"])
        #expect(found.first?.rule.contains("pipeline.retry.max_backoff (10s)") == true, "names both keys: \(found)")
        #expect(found.first?.value == "1m")
        #expect(retry("    initial_backoff: 10s\n    max_backoff: 10s").isEmpty, "equal is fine")
        #expect(
            retry("    initial_backoff: 45s").map(\.path) == ["pipeline.retry.initial_backoff"],
            "the default cap 30s"
        )
        #expect(
            retry("    initial_backoff: later\n    max_backoff: 10ms").map(\.path) == [
                "pipeline.retry.initial_backoff"
            ],
            "a refused value is not compared as well"
        )
    }

    @Test func aStateFileOutsideAWritableDirectoryIsRefusedWhenTheHostIsChecked() throws {
        func found(_ path: String, checkHost: Bool = true, environment: [String: String] = [:]) -> [ConfigProblem] {
            do {
                _ = try IngestorConfiguration.parse(
                    yaml: validYAML.replacingOccurrences(of: "  lanes: 4", with: "  lanes: 0")
                        + "\nstate: {path: \"\(path)\"}\n",
                    environment: environment.merging(["DEVREV_TOKEN": "t"]) { $1 },
                    checkHost: checkHost
                )
                return []
            } catch let error as ConfigurationError {
                return error.problems.filter { $0.path != "pipeline.lanes" }
            } catch {
                return [ConfigProblem(path: "?", value: nil, rule: "\(error)")]
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID())")
        let missing = directory.appendingPathComponent("not-there").path
        let problems = found(missing + "/state.sqlite")
        #expect(problems.map(\.path) == ["state.path"], "listed with the other problems (lanes: 0)")
        #expect(problems.first?.rule == "is in a directory that does not exist: \(missing)")
        #expect(found(missing + "/state.sqlite", checkHost: false).isEmpty, "a configuration for another machine")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(found(directory.appendingPathComponent("state.sqlite").path).isEmpty)
        #expect(found(":memory:").isEmpty)
        let file = directory.appendingPathComponent("a-file")
        try Data().write(to: file)
        #expect(found(file.path + "/state.sqlite").first?.rule.contains("not a directory") == true)
        let fromEnvironment = found("ignored.sqlite", environment: ["INGESTOR_STATE__PATH": missing + "/state.sqlite"])
        #expect(fromEnvironment.first?.variable == "INGESTOR_STATE__PATH")
    }
}

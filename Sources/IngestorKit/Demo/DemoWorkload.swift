import IncidentAPIFakes
import Normalizer

/// A realistic, repeatable alert stream for the demo and the end-to-end tests: Alertmanager groups resent every
/// round (a storm of repeats), some alerts escalating, half of them resolving in mixed-status group messages, and
/// malformed messages mixed in.
public struct DemoWorkload: Sendable {
    /// One message to produce.
    public struct Message: Sendable {
        /// The record key (the Alertmanager group key, so a group's messages stay in order on one partition).
        public var key: String
        /// The record value.
        public var value: [UInt8]
        /// Record headers.
        public var headers: [(String, String)]
        /// Why the message is in the workload, for test failure messages.
        public var kind: String
    }

    /// What the worker must do with the workload.
    public struct Expectation: Sendable, Hashable {
        /// Incidents to open: one per distinct alert.
        public var incidents: Int
        /// Updates: alerts whose summary and description change once (the problem worsens).
        public var updates: Int
        /// Resolves.
        public var resolves: Int
        /// Dead letters: the malformed messages.
        public var deadLetters: Int
        /// Dedup keys expected to end resolved.
        public var resolvedKeys: Set<String>
        /// Every dedup key.
        public var allKeys: Set<String>
        /// Dead-letter reason codes expected, with counts.
        public var deadLetterReasons: [String: Int]
    }

    /// The messages, in production order.
    public private(set) var messages: [Message] = []
    /// What the worker must end with.
    public private(set) var expectation: Expectation

    /// Builds the workload.
    /// - Parameters:
    ///   - groups: Alertmanager groups; each holds 2–5 alerts.
    ///   - rounds: times each group is sent while firing (≥ 3: create, repeat, escalate, repeats).
    ///   - malformed: include one of each kind of malformed message.
    ///   - seed: the generator seed; equal seeds give equal workloads.
    ///   - maxPayloadBytes: the worker's payload limit, to build one message just over it.
    public init(
        groups: Int = 60,
        rounds: Int = 5,
        malformed: Bool = true,
        seed: UInt64 = 42,
        maxPayloadBytes: Int = 256 * 1024
    ) {
        var random = SplitMix64(seed: seed)
        let names = [
            "HighCPU", "DiskFull", "InstanceDown", "HighLatency", "ErrorRateHigh", "MemoryPressure", "CertExpiring",
            "QueueBacklog",
        ]
        let clusters = ["eu-west-1", "us-east-1", "ap-south-1"]
        struct Alert {
            var labels: [(key: String, value: String)]
            var fingerprint: String
            var escalates: Bool
            var resolves: Bool
        }
        var plan: [(groupKey: String, receiver: String, alerts: [Alert])] = []
        var resolvedKeys: Set<String> = []
        var allKeys: Set<String> = []
        var updates = 0
        for group in 0..<groups {
            let name = names[group % names.count]
            let cluster = clusters[(group / names.count) % clusters.count]
            let groupKey = "{}:{alertname=\"\(name)\", cluster=\"\(cluster)-\(group)\"}"
            var alerts: [Alert] = []
            for index in 0..<(2 + Int(random.next() % 4)) {
                let labels: [(key: String, value: String)] = [
                    ("alertname", name), ("cluster", "\(cluster)-\(group)"),
                    ("instance", "host-\(group)-\(index):9100"),
                    ("job", "node"), ("severity", random.next() % 3 == 0 ? "critical" : "warning"),
                ]
                let fingerprint = AlertmanagerDecoder.fingerprint(of: labels)
                let escalates = random.next() % 4 == 0
                let resolves = random.next() % 2 == 0
                if escalates { updates += 1 }
                if resolves { resolvedKeys.insert("am:" + fingerprint) }
                allKeys.insert("am:" + fingerprint)
                alerts.append(Alert(labels: labels, fingerprint: fingerprint, escalates: escalates, resolves: resolves))
            }
            plan.append((groupKey, "ops-\(group % 4)", alerts))
        }
        let start = Timestamp(rfc3339: "2026-11-24T08:00:00Z")!
        var firing: [Message] = []
        for round in 0..<max(3, rounds) {
            for group in plan {
                let alerts = group.alerts.map { alert -> JSONValue in
                    Self.alert(
                        labels: alert.labels,
                        fingerprint: alert.fingerprint,
                        status: "firing",
                        startsAt: start,
                        endsAt: nil,
                        worsened: alert.escalates && round >= 2
                    )
                }
                firing.append(
                    Self.message(
                        groupKey: group.groupKey,
                        receiver: group.receiver,
                        alerts: alerts,
                        kind: "firing round \(round)"
                    )
                )
            }
        }
        var resolving: [Message] = []
        for group in plan where group.alerts.contains(where: \.resolves) {
            let alerts = group.alerts.map { alert -> JSONValue in
                Self.alert(
                    labels: alert.labels,
                    fingerprint: alert.fingerprint,
                    status: alert.resolves ? "resolved" : "firing",
                    startsAt: start,
                    endsAt: alert.resolves ? start.advanced(by: .seconds(600)) : nil,
                    worsened: alert.escalates
                )
            }
            resolving.append(
                Self.message(groupKey: group.groupKey, receiver: group.receiver, alerts: alerts, kind: "mixed resolve")
            )
        }
        messages = firing + resolving
        var reasons: [String: Int] = [:]
        if malformed {
            let bad = Self.malformedMessages(maxPayloadBytes: maxPayloadBytes)
            for (message, reason) in bad {
                reasons[reason, default: 0] += 1
                let position = Int(random.next() % UInt64(messages.count + 1))
                messages.insert(message, at: position)
            }
        }
        expectation = Expectation(
            incidents: allKeys.count,
            updates: updates,
            resolves: resolvedKeys.count,
            deadLetters: reasons.values.reduce(0, +),
            resolvedKeys: resolvedKeys,
            allKeys: allKeys,
            deadLetterReasons: reasons
        )
    }

    private static func alert(
        labels: [(key: String, value: String)],
        fingerprint: String,
        status: String,
        startsAt: Timestamp,
        endsAt: Timestamp?,
        worsened: Bool
    ) -> JSONValue {
        let name = labels.first { $0.key == "alertname" }?.value ?? "Alert"
        let instance = labels.first { $0.key == "instance" }?.value ?? "?"
        // A worsening problem keeps its labels (and so its fingerprint); only the annotations change.
        let summary = worsened ? "\(name) on \(instance) is getting worse" : "\(name) on \(instance)"
        let description =
            worsened
            ? "\(name) has been firing on \(instance) for more than 15 minutes and is still rising."
            : "\(name) has been firing on \(instance) for more than 5 minutes."
        return .object(
            JSONObject([
                ("status", .string(status)),
                ("labels", .object(JSONObject(labels.map { ($0.key, .string($0.value)) }))),
                (
                    "annotations",
                    .object(
                        JSONObject([
                            ("summary", .string(summary)),
                            ("description", .string(description)),
                            ("runbook_url", .string("https://runbooks.example.com/\(name)")),
                        ])
                    )
                ),
                ("startsAt", .string(startsAt.rfc3339)),
                ("endsAt", .string(endsAt?.rfc3339 ?? "0001-01-01T00:00:00Z")),
                ("generatorURL", .string("http://prometheus.example.com/graph?g0.expr=\(name)")),
                ("fingerprint", .string(fingerprint)),
            ])
        )
    }

    private static func message(groupKey: String, receiver: String, alerts: [JSONValue], kind: String) -> Message {
        let anyFiring = alerts.contains { $0["status"]?.string == "firing" }
        let payload = JSONValue.object(
            JSONObject([
                ("version", .string("4")),
                ("groupKey", .string(groupKey)),
                ("truncatedAlerts", .number("0")),
                ("status", .string(anyFiring ? "firing" : "resolved")),
                ("receiver", .string(receiver)),
                ("groupLabels", .object(JSONObject())),
                ("commonLabels", .object(JSONObject([("job", .string("node"))]))),
                ("commonAnnotations", .object(JSONObject())),
                ("externalURL", .string("http://alertmanager.example.com")),
                ("alerts", .array(alerts)),
            ])
        )
        return Message(
            key: groupKey,
            value: JSONWriter.bytes(payload),
            headers: [("content-type", "application/json")],
            kind: kind
        )
    }

    /// One message of each kind real pipelines see, with the reason code each must be dead-lettered with.
    static func malformedMessages(maxPayloadBytes: Int) -> [(Message, String)] {
        func message(_ text: String, _ kind: String) -> Message {
            Message(key: "malformed-\(kind)", value: Array(text.utf8), headers: [], kind: kind)
        }
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let oversized =
            #"{"version":"4","groupKey":"x","alerts":[],"padding":""# + String(repeating: "x", count: maxPayloadBytes)
            + #""}"#
        var empty = message("", "empty")
        empty.value = []
        return [
            (message(#"{"version":"4","groupKey":"#, "truncated JSON"), "invalid_json"),
            (message("NaN", "NaN literal"), "invalid_json"),
            (message(#"{"a":1,"a":2}"#, "duplicate keys"), "invalid_json"),
            (message(#"{"hello":"world"}"#, "unknown shape"), "unrecognized_format"),
            (message(deep, "deep nesting"), "nesting_too_deep"),
            (
                message(#"{"version":"4","groupKey":"g","alerts":[{"status":"firing"}]}"#, "alert without labels"),
                "invalid_payload"
            ),
            (
                message(
                    #"{"version":"4","groupKey":"g","alerts":[{"status":"exploded","labels":{}}]}"#,
                    "unknown status"
                ), "invalid_payload"
            ),
            (empty, "empty_payload"),
            (message(oversized, "oversized"), "payload_too_large"),
        ]
    }
}

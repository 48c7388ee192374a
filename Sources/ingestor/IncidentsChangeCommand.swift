import ArgumentParser
import Foundation
import IngestorKit
import KafkaIO
import Logging
import Normalizer
import Pipeline

/// What `incidents forget` and `incidents resolve` share: a control record to the raw topic, which travels to the
/// key's owner like its alerts do, and a wait until the owner's decision shows in the audit trail.
struct IncidentsChangeOptions: ParsableArguments {
    @OptionGroup var location: IncidentsLocation
    @Option(help: "Why, in your words: it goes into the audit trail with your user and host name.") var reason: String
    @Option(help: "The target whose record changes (default the configuration's target).") var target: String?
    @Option(help: "The raw topic to send the change on (default the first of sources[]).") var topic: String?
    @Option(help: "Wait this many seconds for the worker's decision; 0 sends and returns.") var wait: Int = 30
    @Argument(help: "The dedup key, as `incidents list` prints it.") var key: String

    func validate() throws {
        if location.config == nil { throw ValidationError("give --config: the brokers, the raw topic and the target") }
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
        if wait < 0 { throw ValidationError("--wait must be 0 or more seconds") }
    }

    func send(_ action: ManualChange.Action) async throws {
        let resolved = try location.resolve()
        guard let configuration = resolved.configuration else { throw ExitCode.failure }
        guard let topic = topic ?? configuration.sources.first?.topic else {
            Console.err("the configuration has no source topic to send the change on: give --topic")
            throw ExitCode.failure
        }
        let process = ProcessInfo.processInfo
        let change = ManualChange(
            action: action,
            dedupKey: key,
            target: target ?? configuration.target.name,
            reason: reason,
            by: "\(NSUserName())@\(process.hostName)",
            at: Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        )
        let written: (partition: Int32, offset: Int64)
        do {
            let producer = try KafkaProducer(
                configuration: configuration.producerConfiguration,
                logger: IncidentsCommand.toolLogger
            )
            let delivery = try await producer.enqueue(
                topic: topic,
                key: Array(key.utf8),
                value: change.value,
                headers: [KafkaHeader(key: ManualChange.header, text: action.rawValue)]
            )
            let report = try await delivery.report()
            written = (report.topicPartition.partition, report.offset)
            _ = await producer.close(timeout: .seconds(5))
        } catch {
            Console.err("cannot send the change to \(topic) at \(resolved.servers.joined(separator: ",")): \(error)")
            throw ExitCode.failure
        }
        Console.err("sent \(action.rawValue) for \(key) as \(topic)[\(written.partition)]@\(written.offset)")
        guard wait > 0 else { return }
        let deadline = Date().addingTimeInterval(Double(wait))
        while Date() < deadline {
            if let decision = try await appliedDecision(for: change) {
                Console.out("\(decision.decision): \(decision.reason)")
                if decision.decision == "ignore" { throw ExitCode.failure }
                return
            }
            try await Task.sleep(for: .seconds(1))
        }
        Console.err(
            """
            no worker applied it within \(wait)s: the change waits in \(topic) for the worker that consumes it (is one \
            running?); `incidents explain \(key)` shows it once applied
            """
        )
        throw ExitCode.failure
    }

    /// The decision the owner recorded for `change`, once it did.
    private func appliedDecision(for change: ManualChange) async throws -> DecisionRecord? {
        let (view, _) = try await location.open(quiet: true)
        let decisions = try await view.decisions(dedupKey: change.dedupKey, logger: IncidentsCommand.toolLogger)
        // The worker's clock decides the decision's time; a second of slack for clocks of different hosts.
        let since = change.at.millisecondsSinceEpoch - 1000
        return decisions.last { decision in
            guard decision.at.millisecondsSinceEpoch >= since, decision.reason.contains(change.by) else { return false }
            return decision.decision == "forget" || decision.decision == "manual_resolve"
                || (decision.decision == "ignore" && decision.reason.hasPrefix(change.action.rawValue))
        }
    }
}

struct IncidentsForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Makes the worker drop a key's record: its next alert opens a new incident.",
        discussion: """
            For a ticket deleted or merged on the target by hand. The change is a control record (header \
            ingestor-control) sent on the raw topic keyed by KEY; the worker that owns the key applies it in order \
            with the key's alerts, through the state store (and the changelog), records a `forget` decision with \
            your reason, user and host, and calls nothing. The command waits for that decision (--wait). Anyone who \
            can write the raw topic can send one: the same trust as sending alerts.
            """
    )

    @OptionGroup var options: IncidentsChangeOptions

    func run() async throws { try await options.send(.forget) }
}

struct IncidentsResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Makes the worker mark a key's incident resolved without calling the target.",
        discussion: """
            For a ticket closed by hand on the target: the worker stops updating it, and the problem's next firing \
            opens a new incident. Travels like `forget` (a control record on the raw topic, applied by the key's \
            owner in order, audited as manual_resolve with your reason, user and host). A key whose create is not \
            settled yet is left as it is (the decision says so).
            """
    )

    @OptionGroup var options: IncidentsChangeOptions

    func run() async throws { try await options.send(.resolve) }
}

import ArgumentParser
import IngestorKit
import Logging
import Synchronization

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Runs the whole job on this machine: embedded Kafka, a fake DevRev API, a realistic alert storm.",
        discussion: """
            Starts librdkafka's mock cluster (the real Kafka protocol on loopback ports), a fake DevRev \
            incident API that checks requests like the real one and injects some 5xx and 429 answers, \
            produces an Alertmanager storm (groups resent every round, alerts worsening, half of them \
            resolving, plus malformed messages), runs the real worker on it, and checks the outcome: one \
            incident per alert, resolves applied, no duplicates, every malformed message dead-lettered with \
            its reason, offsets committed to the end.

            Exits 0 when every check holds, 1 otherwise. The embedded cluster keeps only about 5 MiB per \
            partition; the default workload stays far below that.
            """
    )

    @Option(help: "Alertmanager groups (2–5 alerts each).") var groups = 60
    @Option(help: "Times each group is sent while firing (at least 3).") var rounds = 5
    @Option(help: "Partitions of the raw topic.") var partitions = 6
    @Option(help: "Brokers of the embedded cluster.") var brokers = 3
    @Option(help: "Fraction of API calls answered with a 5xx (0–1).") var failRate = 0.02
    @Option(help: "Answer every N-th API call with 429 and a retry hint (0 disables).") var throttleEvery = 40
    @Option(help: "Workload seed.") var seed: UInt64 = 42
    @Option(help: "Seconds to wait for the workload to finish.") var timeout = 120
    @Flag(help: "Keep the cluster and the fake API running after the summary, until Ctrl-C.") var hold = false
    @Flag(name: .shortAndLong, help: "Show the worker's log (info level) on standard error.") var verbose = false

    func validate() throws {
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate must be between 0 and 1") }
        guard rounds >= 3 else { throw ValidationError("--rounds must be at least 3") }
        guard groups > 0, partitions > 0, brokers > 0, timeout > 0 else {
            throw ValidationError("--groups, --partitions, --brokers and --timeout must be positive")
        }
    }

    func run() async throws {
        Console.bootstrapLogging(level: verbose ? .info : .error)
        var options = DemoOptions()
        options.groups = groups
        options.rounds = rounds
        options.partitions = partitions
        options.brokers = brokers
        options.failRate = failRate
        options.throttleEvery = throttleEvery
        options.seed = seed
        options.timeout = .seconds(timeout)
        options.hold = hold
        let interactive = Console.isInteractive
        let lastPlain = Mutex<ContinuousClock.Instant?>(nil)
        let report = try await Demo.run(options: options, logger: Logger(label: "ingestor.demo")) { output in
            switch output {
            case .line(let text):
                Console.out(text)
            case .progress(let done, let total, let text):
                let finished = done >= total
                if interactive {
                    Console.outRaw("\u{1B}[2K\r\(Demo.progressBar(done, of: total)) \(text)\(finished ? "\n" : "")")
                } else {
                    let now = ContinuousClock.now
                    let due = lastPlain.withLock { last in
                        guard finished || last.map({ now - $0 >= .seconds(2) }) ?? true else { return false }
                        last = now
                        return true
                    }
                    if due { Console.out("progress: finished \(done)/\(total)  \(text)") }
                }
            }
        }
        Console.out(Demo.summary(report))
        if !report.passed { throw ExitCode(ExitStatus.checksFailed) }
    }
}

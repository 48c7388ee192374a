import ArgumentParser
import Foundation
import IngestorKit
import KafkaIO
import Logging
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Feeds dead letters through the worker's pipeline again, without ever opening a second incident.",
        discussion: """
            Each letter goes through the same normalize → correlate → deliver path as in `ingestor run`, with \
            the same state file: an incident that already exists is updated or left alone, never created twice, \
            and an event older than what its incident shows is dropped as stale. Run it with the worker's \
            configuration. The state file is locked by one process at a time: stop the worker first, or use \
            --to-topic to hand the letters back to the running worker through its raw topic.

            With workers that run the two stages through Kafka (--stage normalize --stage deliver), the state is \
            in the changelog topic and only the worker that owns a key may decide it: --hand-back puts each \
            letter's original record back where it came from (a delivery-stage letter into its own events \
            partition, a normalize-stage letter onto its raw topic), while the workers run, and they deliver it \
            at target.rate_limit (`ingestor_replayed_letters_total{outcome}` on their /metrics). Without \
            --hand-back, delivery-stage letters are left alone and named in the summary.

            Progress is committed under its own consumer group (ingestor-replay.<topic>, plus a hash of the \
            filters): an interrupted replay (Ctrl-C, a crash) continues where it stopped when run again with \
            the same filters; --from-beginning starts over (already delivered letters are then suppressed or \
            found stale by the state, so no call is repeated for them). The replay reads up to the topic's end \
            at the start.

            A letter that fails again goes back to the dead-letter topic with its replay count one higher; \
            once the count reaches dead_letter.max_replays (default 3) the letter is parked and later replays \
            leave it alone (--include-parked takes it anyway).

            A letter that was cut to fit the dead-letter topic (ingestor-dlq-truncated; its value holds only the \
            first bytes of the message) is never replayed: the summary names each one and where its whole \
            message is (original topic, partition and offset).

            --dry-run shows what each letter would become (create, update, resolve, suppress, stale, reject) \
            from the state file (with --hand-back, from the changelog topic); nothing is sent, written or \
            committed.

            Exit status: 0 when every replayed letter was settled (or handed back, and for a dry run), 1 when \
            some failed again, 2 for a bad configuration or arguments.

            A typical session:
              ingestor dlq stats --config ingestor.yaml
              ingestor replay --config ingestor.yaml --reason target_unavailable --dry-run
              ingestor replay --config ingestor.yaml --reason target_unavailable --rate 5
            """
    )

    @Option(name: .shortAndLong, help: "The worker's configuration file.") var config: String
    @OptionGroup var filters: DLQFilterOptions
    @Option(help: "Replay at most this many letters; the rest wait for the next run.") var limit: Int?
    @Flag(help: "Show what each letter would become (create, update, resolve, suppress, reject); send nothing.")
    var dryRun = false
    @Flag(
        help: "Put each letter back on the topic it came from, for the running delivery-stage workers that own its key."
    )
    var handBack = false
    @Option(help: "At most this many requests per second to the target (below target.rate_limit).")
    var rate: Double?
    @Option(
        help: "Write the original messages onto this topic instead of each one's own (for pipelines that re-read it)."
    )
    var toTopic: String?
    @Option(help: "The consumer group that keeps progress; default from the topic and the filters.")
    var group: String?
    @Flag(help: "Start at the beginning of the topic, not where the last replay stopped.") var fromBeginning = false
    @Flag(help: "Replay parked letters too.") var includeParked = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "warning"

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be above 0") }
        if dryRun, toTopic != nil { throw ValidationError("--dry-run and --to-topic do not go together") }
        if handBack, toTopic != nil { throw ValidationError("--hand-back and --to-topic do not go together") }
        if rate != nil, handBack {
            throw ValidationError("letters handed back are delivered by the workers at target.rate_limit: no --rate")
        }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level \(logLevel) is not a level") }
    }

    func run() async throws {
        // Only a replay through this process's pipeline writes the state file, and calls the target.
        let configuration = try Console.loadConfiguration(
            config,
            checkHost: !handBack && !dryRun && toTopic == nil,
            secretsNeeded: !handBack && toTopic == nil
        )
        if let toTopic, toTopic == configuration.deadLetterTopic {
            Console.err("--to-topic \(toTopic) is the dead-letter topic itself")
            throw ExitCode(ExitStatus.badConfiguration)
        }
        Console.bootstrapLogging(level: Logger.Level(rawValue: logLevel) ?? .warning)
        let logger = Logger(label: "ingestor.replay")
        var options = ReplayOptions()
        options.filter = filters.filter
        options.limit = limit
        options.dryRun = dryRun
        options.rate = rate
        options.toTopic = toTopic
        options.handBack = handBack
        options.group = group
        options.fromBeginning = fromBeginning
        options.includeParked = includeParked
        let replayer = Replayer(configuration: configuration, options: options, logger: logger)

        let replay: Replayer.Run
        do {
            let line: (@Sendable (String) -> Void)? =
                dryRun ? { @Sendable text in FileHandle.standardOutput.write(Data((text + "\n").utf8)) } : nil
            replay = try await replayer.prepare(line: line)
        } catch let error as KafkaError {
            Console.err("cannot read \(configuration.deadLetterTopic): \(error)")
            throw ExitCode.failure
        } catch let error as StateStoreError {
            Console.err(error.description)
            throw ExitCode.failure
        }
        let destination =
            dryRun
            ? "dry run: nothing is sent, written or committed"
            : toTopic.map { "onto \($0)" }
                ?? (handBack ? "back to the topics they came from, for the workers" : "to \(configuration.target.name)")
        Console.err(
            "replaying \(configuration.deadLetterTopic) (\(options.filter)) \(destination); progress group \(replayer.group)"
        )
        if dryRun { Console.out("ADDRESS  REASON  KEY  → WHAT IT WOULD BECOME") }

        let reporter = Task { await Self.report(replay, interactive: isatty(STDERR_FILENO) != 0) }
        do {
            try await replay.run()
        } catch {
            reporter.cancel()
            Console.err("replay stopped: \(error)")
            throw ExitCode.failure
        }
        reporter.cancel()
        await reporter.value
        let progress = replay.progress
        Console.out(
            Self.summary(
                progress,
                dryRun: dryRun,
                handedBack: handBack && !dryRun,
                topic: configuration.deadLetterTopic
            )
        )
        if progress.failedAgain > 0, !dryRun { throw ExitCode.failure }
    }

    /// A progress bar on a terminal (standard error), else a plain line every 5 seconds.
    static func report(_ replay: Replayer.Run, interactive: Bool) async {
        var last = ""
        while !Task.isCancelled {
            try? await Task.sleep(for: interactive ? .milliseconds(200) : .seconds(5))
            if Task.isCancelled { break }
            let line = progressLine(replay.progress, bar: interactive)
            guard line != last else { continue }
            last = line
            if interactive {
                FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
            } else {
                Console.err(line)
            }
        }
        if interactive, !last.isEmpty { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    static func progressLine(_ progress: ReplayProgress, bar: Bool) -> String {
        let total = max(progress.total, 1)
        let fraction = min(1, Double(progress.done) / Double(total))
        var line = ""
        if bar {
            let filled = Int(fraction * 30)
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
        }
        line += "\(progress.done)/\(progress.total) (\(Int(fraction * 100))%)"
        line += "  settled \(progress.completed)  failed again \(progress.failedAgain)"
        line += "  skipped \(progress.skipped + progress.parked + progress.foreign)"
        if let remaining = progress.remaining { line += "  eta \(format(remaining))" }
        return line
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        return seconds >= 3600
            ? "\(seconds / 3600)h\(String(format: "%02d", seconds % 3600 / 60))m"
            : "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s"
    }

    static func summary(_ progress: ReplayProgress, dryRun: Bool, handedBack: Bool = false, topic: String) -> String {
        let seconds =
            Double(progress.elapsed.components.seconds) + Double(progress.elapsed.components.attoseconds) / 1e18
        var lines = [
            "\(dryRun ? "dry run" : "replay") of \(topic): \(progress.read) records read in \(String(format: "%.1f", seconds)) s"
        ]
        if handedBack {
            lines.append(
                "  handed back   \(progress.completed) to the topics they came from, for the workers that own their keys"
            )
        } else {
            lines.append(
                "  replayed      \(progress.fed): settled \(progress.completed), \(dryRun ? "would fail" : "failed") again \(progress.failedAgain)"
                    + (progress.parkedNow > 0 ? " (\(progress.parkedNow) now parked)" : "")
                    + (progress.abandoned > 0 ? ", interrupted \(progress.abandoned) (replayed next time)" : "")
            )
        }
        lines.append(
            "  left alone    filtered out \(progress.skipped), parked \(progress.parked), truncated \(progress.truncated), not dead letters \(progress.foreign)"
        )
        if progress.leftAlone > 0 {
            lines.append("  not replayed  \(progress.leftAlone):")
            lines += progress.leftAloneLetters.map { "    " + $0 }
        }
        if progress.truncated > 0 {
            lines.append(
                "  truncated letters were cut to fit \(topic) and do not hold their whole message; it is in its source topic:"
            )
            lines += progress.truncatedLetters.map { "    " + $0 }
            let unnamed = progress.truncated - progress.truncatedLetters.count
            if unnamed > 0 { lines.append("    … and \(unnamed) more (ingestor dlq list shows them)") }
        }
        if !handedBack {
            lines.append("  decisions     \(progress.decisionSummary.isEmpty ? "none" : progress.decisionSummary)")
        }
        if handedBack {
            lines.append(
                "  the workers decide and deliver them: ingestor_replayed_letters_total on their /metrics; any that fail again are back in \(topic) (ingestor dlq list --since 10m)"
            )
        } else if dryRun {
            lines.append("  nothing was sent, written or committed")
        } else if progress.failedAgain > 0 {
            lines.append("  letters that failed again are back in \(topic): ingestor dlq list --since 10m")
        }
        return lines.joined(separator: "\n")
    }
}

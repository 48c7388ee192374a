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
        abstract:
            "Hands dead letters back to the workers (or feeds them through a pipeline of its own), never opening a second incident.",
        discussion: """
            By default each letter's original record goes back to the topic it came from, while the workers \
            run: a letter of the delivery stage to the events topic, in its own partition, so the worker that \
            owns its key takes it up again with that key's state (an incident that already exists is updated or \
            left alone, never created twice; an event older than what its incident shows is dropped as stale); \
            a letter of the normalize stage (or of a --stage all worker) to its raw topic, to be normalized again \
            with the decoders and configuration of now. The workers deliver them at target.rate_limit; \
            `ingestor_replayed_letters_total{outcome}` on their /metrics counts what became of them, and a \
            letter that fails again is back in the dead-letter topic with its replay count one higher. Run it \
            with the workers' configuration.

            --direct feeds the letters through this process's own normalize → correlate → deliver path instead, \
            with the state file, calling the target itself: for a worker run with --stage all, stopped first \
            (the state file is locked by one process at a time). Its exit status says whether letters failed \
            again, and --rate caps its requests per second. It leaves delivery-stage letters alone (their keys' \
            state is in the changelog, owned by a running worker) and names them in the summary.

            Progress is committed under its own consumer group (ingestor-replay.<topic>, plus a hash of the \
            filters): an interrupted replay (Ctrl-C, a crash) continues where it stopped when run again with \
            the same filters; --from-beginning starts over (letters delivered already are then suppressed or \
            found stale by their key's state, so no call is repeated for them). The replay reads up to the \
            topic's end at the start.

            Once a letter's replay count reaches dead_letter.max_replays (default 3) it is parked and later \
            replays leave it alone (--include-parked takes it anyway).

            A letter that was cut to fit the dead-letter topic (ingestor-dlq-truncated; its value holds only the \
            first bytes of the message) is never replayed: the summary names each one and where its whole \
            message is (original topic, partition and offset).

            --dry-run shows what each letter would become (create, update, resolve, suppress, stale, reject) \
            from the state as the workers have it now (the changelog topic, or the state file when the changelog \
            is empty; with --direct, the state file); nothing is sent, written or committed.

            Exit status: 0 when every letter was handed back (with --direct: settled; and for a dry run), 1 when \
            some failed again with --direct, 2 for a bad configuration or arguments.

            A typical session:
              ingestor dlq stats --config ingestor.yaml
              ingestor replay --config ingestor.yaml --reason target_unavailable --dry-run
              ingestor replay --config ingestor.yaml --reason target_unavailable
            """
    )

    @Option(name: .shortAndLong, help: "The worker's configuration file.") var config: String
    @OptionGroup var filters: DLQFilterOptions
    @Option(help: "Replay at most this many letters; the rest wait for the next run.") var limit: Int?
    @Flag(help: "Show what each letter would become (create, update, resolve, suppress, reject); send nothing.")
    var dryRun = false
    @Flag(help: "Deliver the letters from this process with the state file (a stopped --stage all worker's).")
    var direct = false
    @Flag(
        help: "Put each letter back on the topic it came from, for the running workers (the default; kept for scripts)."
    )
    var handBack = false
    @Option(help: "With --direct: at most this many requests per second to the target (below target.rate_limit).")
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
        if direct, handBack { throw ValidationError("--direct and --hand-back do not go together") }
        if direct, toTopic != nil { throw ValidationError("--direct and --to-topic do not go together") }
        if handBack, toTopic != nil { throw ValidationError("--hand-back and --to-topic do not go together") }
        if rate != nil, !direct {
            throw ValidationError(
                "--rate applies to --direct; letters handed back are delivered by the workers at target.rate_limit"
            )
        }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level \(logLevel) is not a level") }
    }

    func run() async throws {
        // Only a replay through this process's pipeline writes the state file, and calls the target.
        let configuration = try Console.loadConfiguration(
            config,
            checkHost: direct && !dryRun,
            secretsNeeded: direct && !dryRun
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
        options.handBack = !direct && toTopic == nil
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
                ?? (direct ? "to \(configuration.target.name)" : "back to the topics they came from, for the workers")
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
                handedBack: !direct && toTopic == nil && !dryRun,
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

import ArgumentParser
import Foundation
import IngestorKit
import Logging
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to the terminal and waiting for signals.
enum Console {
    /// Writes a line to standard output and flushes, so a script reading the first line sees it at once.
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes text to standard output without a newline and flushes.
    static func outRaw(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes a line to standard error.
    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The configuration at `path` with the process's `INGESTOR_*` overrides; on a refusal, every problem on
    /// standard error and exit status 2.
    /// - Parameters:
    ///   - checkHost: also refuse a `state.path` this machine cannot hold, for commands that write it.
    ///   - secretsNeeded: `false` for commands that never call the target: its secrets need not be set.
    static func loadConfiguration(
        _ path: String,
        checkHost: Bool = false,
        secretsNeeded: Bool = true
    ) throws -> IngestorConfiguration {
        var environment = ProcessInfo.processInfo.environment
        if !secretsNeeded { environment[IngestorConfiguration.secretsNotNeeded] = "1" }
        do {
            return try IngestorConfiguration.load(
                path: path,
                environment: environment,
                checkHost: checkHost
            )
        } catch let error as ConfigurationError {
            err(error.description)
            throw ExitCode(ExitStatus.badConfiguration)
        }
    }

    /// Whether standard output is a terminal.
    static var isInteractive: Bool { isatty(STDOUT_FILENO) != 0 }

    /// Sets up swift-log once, for the whole process: text lines on standard error.
    static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    static func waitForTermination() async {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        for await _ in signals { return }
    }
}

/// Exit codes shared by the subcommands.
enum ExitStatus {
    /// The configuration (or an argument) was refused.
    static let badConfiguration: Int32 = 2
    /// The demo's checks failed.
    static let checksFailed: Int32 = 1
}

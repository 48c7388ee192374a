#if canImport(Glibc)
import Glibc
#endif

/// Wall time, CPU time and peak RSS around one benchmark scenario.
struct Measurement {
    var wall: Duration
    var cpuSeconds: Double
    var peakRSSMegabytes: Double

    /// Process CPU time (user + system) so far, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// The process's peak resident set size so far, in MiB.
    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Measures `body`.
    static func of(_ body: () async throws -> Void) async rethrows -> Measurement {
        let clock = ContinuousClock()
        let cpuBefore = cpuSeconds()
        let start = clock.now
        try await body()
        return Measurement(
            wall: clock.now - start,
            cpuSeconds: cpuSeconds() - cpuBefore,
            peakRSSMegabytes: peakRSSMegabytes()
        )
    }

    var wallSeconds: Double {
        Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
    }
}

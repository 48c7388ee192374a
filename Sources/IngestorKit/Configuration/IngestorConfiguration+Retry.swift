import Pipeline

extension IngestorConfiguration {
    /// Reads `pipeline.retry.*`: calls per command and the backoff bounds. `initial_backoff` must not exceed
    /// `max_backoff`: the policy would cap every backoff at `max_backoff`, silently ignoring the setting.
    static func readRetry(_ section: ConfigSection) -> RetryPolicy {
        var retry = RetryPolicy()
        retry.maxAttempts = section.int("max_attempts", default: retry.maxAttempts, in: 1...1000)
        let problemsBefore = section.problemCount
        retry.initialBackoff = section.duration(
            "initial_backoff",
            default: retry.initialBackoff,
            in: .milliseconds(1) ... .seconds(3600)
        )
        retry.maxBackoff = section.duration(
            "max_backoff",
            default: retry.maxBackoff,
            in: .milliseconds(1) ... .seconds(3600)
        )
        // Compared only when both durations were read as written: a refused one stands for its default.
        if section.problemCount == problemsBefore, retry.initialBackoff > retry.maxBackoff {
            section.problem(
                "initial_backoff",
                ConfigSection.format(retry.initialBackoff),
                "must not be larger than pipeline.retry.max_backoff (\(ConfigSection.format(retry.maxBackoff))), which caps every backoff"
            )
        }
        retry.maxElapsed = section.duration(
            "max_elapsed",
            default: retry.maxElapsed,
            in: .zero ... .seconds(86_400)
        )
        section.finish()
        return retry
    }
}

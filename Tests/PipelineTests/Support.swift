import Metrics
import Normalizer
import Pipeline

/// A metrics factory for tests that discards everything.
enum NoopTestMetrics {
    static let factory: any MetricsFactory = NOOPMetricsHandler.instance
}

func sampleEvent(
    key: String = "am:1",
    status: AlertStatus = .firing,
    severity: Severity = .high,
    title: String = "DiskFull",
    description: String = "97%"
) -> NormalizedEvent {
    NormalizedEvent(
        source: "alertmanager",
        dedupKey: key,
        status: status,
        severity: severity,
        title: title,
        description: description,
        occurredAt: Timestamp(rfc3339: "2026-11-24T08:00:00Z")
    )
}

extension PagerDutyTarget: RegisteredTarget {
    /// `target.kind: pagerduty`. PagerDuty adjusts its Events API limits dynamically and documents no fixed rate;
    /// a 429 is retried with back-off.
    package static let descriptor = TargetDescriptor(
        PagerDutyTarget.self,
        kind: "pagerduty",
        title: "PagerDuty",
        document: "PagerDuty Events API v2 (`/v2/enqueue`) and its OpenAPI description",
        operations: "trigger with `dedup_key` (create and update), acknowledge, resolve; replies refused as "
            + "unsupported (no notes in the Events API); the dedup key is the id, so no lookup call"
    )
}

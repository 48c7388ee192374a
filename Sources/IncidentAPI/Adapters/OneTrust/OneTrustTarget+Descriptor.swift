extension OneTrustTarget: RegisteredTarget {
    /// `target.kind: onetrust`: OneTrust documents 1,000 requests a minute per endpoint, so 15 a second.
    package static let descriptor = TargetDescriptor(
        OneTrustTarget.self,
        kind: "onetrust",
        title: "OneTrust Incident Management",
        document: "OneTrust \"Update Incident\" and its OpenAPI spec",
        operations: "create, read-merge-replace update, resolve by workflow stage, replies appended below the "
            + "description's marker; lookup by full-text search",
        ratePerSecond: 15,
        burst: 15
    )
}

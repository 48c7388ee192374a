extension MotadataTarget: RegisteredTarget {
    /// `target.kind: motadata`.
    package static let descriptor = TargetDescriptor(
        MotadataTarget.self,
        kind: "motadata",
        title: "Motadata ServiceOps",
        document:
            "Motadata \"Update an Incident\" (`/api/v1/incident`); ServiceOps 8.x request API with `api: request`",
        operations: "create, update (POST), resolve and reopen by status; replies appended below the description's "
            + "marker (request API: PATCH and conversation notes)"
    )
}

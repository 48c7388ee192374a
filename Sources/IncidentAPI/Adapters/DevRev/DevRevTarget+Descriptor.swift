extension DevRevTarget: RegisteredTarget {
    /// `target.kind: devrev`.
    package static let descriptor = TargetDescriptor(
        DevRevTarget.self,
        kind: "devrev",
        title: "DevRev",
        document: "DevRev REST API, \"Update Incident\" (`incidents.update`, beta)",
        operations: "create, update, resolve and reopen through `incidents.*`; replies as timeline comments; "
            + "lookup by `sync_metadata.external_reference`"
    )
}

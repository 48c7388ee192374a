extension SymantecTarget: RegisteredTarget {
    /// `target.kind: symantec`.
    package static let descriptor = TargetDescriptor(
        SymantecTarget.self,
        kind: "symantec",
        title: "Symantec ServiceDesk 8.5",
        document: "Broadcom \"ServiceDesk - API - Incident\" (ServiceDesk 8.5)",
        operations: "create, read-merge PUT update, resolve by PATCH with a close code, replies appended below the "
            + "description's marker"
    )
}

extension InfraonTarget: RegisteredTarget {
    /// `target.kind: infraon`.
    package static let descriptor = TargetDescriptor(
        InfraonTarget.self,
        kind: "infraon",
        title: "Infraon Infinity",
        document: "Infraon API guide, \"Modules › Incident\"",
        operations: "create (id from the answer or the list), whole-document update, resolve through "
            + "`inci_resolve/` (PUT fallback), replies as rich-text notes; lookup by the description's marker"
    )
}

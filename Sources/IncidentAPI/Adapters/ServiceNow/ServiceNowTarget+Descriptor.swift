extension ServiceNowTarget: RegisteredTarget {
    /// `target.kind: servicenow`.
    package static let descriptor = TargetDescriptor(
        ServiceNowTarget.self,
        kind: "servicenow",
        title: "ServiceNow",
        document: "ServiceNow Table API (`/api/now/table/incident`) and OAuth API request parameters",
        operations:
            "create with `correlation_id`, PATCH updates, resolve to state 6 with close code and notes, replies "
            + "as work notes; lookup by `correlation_id`"
    )
}

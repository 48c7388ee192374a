extension GenericHTTPTarget: RegisteredTarget {
    /// `target.kind: http`.
    package static let descriptor = TargetDescriptor(
        GenericHTTPTarget.self,
        kind: "http",
        title: "Any REST API",
        document: "your API's, described as request templates",
        operations: "every operation a request template you write; lookup and reopen when configured"
    )
}

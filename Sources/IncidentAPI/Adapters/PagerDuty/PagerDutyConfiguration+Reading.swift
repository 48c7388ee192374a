import Normalizer

/// `target.pagerduty.*`.
extension PagerDutyConfiguration: TargetSettings {
    package var targetName: String { "pagerduty" }

    package static func read(_ reader: any ConfigurationReader) -> PagerDutyConfiguration? {
        let routingKey = reader.secret("routing_key")
        var configuration = PagerDutyConfiguration(routingKey: Secret(""))
        if let url = reader.baseURL(required: false, hint: "") { configuration.baseURL = url }
        for (severity, value) in reader.severityMap("severities") {
            guard PagerDutyRequestBuilder.severities.contains(value) else {
                reader.problem(
                    "severities.\(severity.rawValue)",
                    value,
                    "must be one of \(PagerDutyRequestBuilder.severities.joined(separator: ", "))"
                )
                continue
            }
            configuration.severities[severity] = value
        }
        configuration.sourceLabels = reader.stringList("source_labels") ?? configuration.sourceLabels
        configuration.componentLabel = reader.string("component_label") ?? configuration.componentLabel
        configuration.groupLabel = reader.string("group_label") ?? configuration.groupLabel
        configuration.classLabel = reader.string("class_label") ?? configuration.classLabel
        configuration.client = reader.string("client") ?? configuration.client
        configuration.requestTimeout = reader.requestTimeout(default: configuration.requestTimeout)
        guard let routingKey else { return nil }
        configuration.routingKey = routingKey
        return configuration
    }
}

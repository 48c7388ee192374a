import Normalizer

/// `target.devrev.*`.
extension DevRevConfiguration: TargetSettings {
    package var targetName: String { "devrev" }

    package static func read(_ reader: any ConfigurationReader) -> DevRevConfiguration? {
        let token = reader.secret("token")
        let resolved = reader.requiredString(
            "resolved_stage",
            hint: "the DON of your tenant's resolved stage (POST /stages.custom.list); it differs per tenant"
        )
        var configuration = DevRevConfiguration(token: Secret(""), resolvedStage: "")
        if let url = reader.baseURL(required: false, hint: "") { configuration.baseURL = url }
        configuration.triageStage = reader.string("triage_stage")
        configuration.acknowledgedStage = reader.string("acknowledged_stage")
        configuration.tagLabels = reader.stringList("tag_labels") ?? configuration.tagLabels
        configuration.labelFields = reader.stringMap("label_fields")
        configuration.originSystem = reader.string("origin_system") ?? configuration.originSystem
        configuration.requestTimeout = reader.requestTimeout(default: configuration.requestTimeout)
        for (severity, value) in reader.severityMap("severity_ids") {
            guard let id = Int(value), id > 0 else {
                reader.problem("severity_ids.\(severity.rawValue)", value, "must be a positive DevRev severity id")
                continue
            }
            configuration.severityIDs[severity] = id
        }
        guard let token, let resolved else { return nil }
        configuration.token = token
        configuration.resolvedStage = resolved
        return configuration
    }
}

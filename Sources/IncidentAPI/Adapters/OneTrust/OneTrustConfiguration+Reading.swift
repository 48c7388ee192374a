import Normalizer

/// `target.onetrust.*`.
extension OneTrustConfiguration: TargetSettings {
    package var targetName: String { "onetrust" }

    package static func read(_ reader: any ConfigurationReader) -> OneTrustConfiguration? {
        let baseURL = reader.baseURL(required: true, hint: "https://app.onetrust.com or your region's host")
        let authentication = reader.authentication(
            allowed: ["oauth2_client_credentials", "bearer"],
            defaultTokenURL: baseURL.map { $0 + "/api/access/v1/oauth/token" },
            defaultForm: "multipart"
        )
        let org = reader.requiredString(
            "org_group_id",
            hint: "the organization's UUID (Get List of Organizations); OneTrust requires it on every write"
        )
        let resolved = reader.requiredString(
            "resolved_stage",
            hint: "the workflow stage name that closes an incident; stage names are tenant-defined"
        )
        var configuration = OneTrustConfiguration(baseURL: "", authentication: .none, orgGroupID: "", resolvedStage: "")
        configuration.incidentTypeName = reader.string("incident_type") ?? configuration.incidentTypeName
        configuration.severityAttribute = reader.string("severity_attribute")
        configuration.labelAttributes = reader.stringMap("label_attributes")
        configuration.acknowledgedStage = reader.string("acknowledged_stage")
        configuration.severityValues.merge(reader.severityMap("severity_values")) { $1 }
        configuration.requestTimeout = reader.requestTimeout(default: configuration.requestTimeout)
        guard let baseURL, let authentication, let org, let resolved else { return nil }
        configuration.baseURL = baseURL
        configuration.authentication = authentication
        configuration.orgGroupID = org
        configuration.resolvedStage = resolved
        return configuration
    }
}

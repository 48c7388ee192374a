import IncidentAPI
import Normalizer

extension IngestorConfiguration {
    static func readDevRev(_ section: ConfigSection, environment: [String: String]) -> DevRevConfiguration? {
        let token = readSecret(section, "token", environment: environment)
        let resolved = section.requiredString(
            "resolved_stage",
            hint: "the DON of your tenant's resolved stage (POST /stages.custom.list); it differs per tenant"
        )
        let baseURL = section.string("base_url")
        let triageStage = section.string("triage_stage")
        let acknowledgedStage = section.string("acknowledged_stage")
        let tagLabels = section.stringList("tag_labels") ?? []
        let labelFields = section.stringMap("label_fields")
        let originSystem = section.string("origin_system")
        let requestTimeout = section.duration(
            "request_timeout",
            default: .seconds(10),
            in: .milliseconds(100) ... .seconds(300)
        )
        let severityIDs = section.stringMap("severity_ids")
        guard let token, let resolved else { return nil }

        var configuration = DevRevConfiguration(token: token, resolvedStage: resolved)
        if let url = baseURL {
            if url.hasPrefix("https://") || url.hasPrefix("http://") {
                configuration.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            } else {
                section.problem("base_url", url, "must start with https:// (or http:// for a local fake)")
            }
        }
        configuration.triageStage = triageStage
        configuration.acknowledgedStage = acknowledgedStage
        configuration.tagLabels = tagLabels
        configuration.labelFields = labelFields
        configuration.originSystem = originSystem ?? configuration.originSystem
        configuration.requestTimeout = requestTimeout
        for (name, value) in severityIDs {
            guard let severity = Severity(rawValue: name) else {
                section.problem(
                    "severity_ids.\(name)",
                    nil,
                    "is not a severity; use \(Severity.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                continue
            }
            guard let id = Int(value), id > 0 else {
                section.problem("severity_ids.\(name)", value, "must be a positive DevRev severity id")
                continue
            }
            configuration.severityIDs[severity] = id
        }
        return configuration
    }
}

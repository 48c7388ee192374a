import IncidentAPI

// MARK: - ConfigSection + ConfigurationReader

/// Adapters read their `target.<kind>` sections through this conformance.
extension ConfigSection: ConfigurationReader {
    func nested(_ name: String) -> any ConfigurationReader { section(name) }

    func secret(_ name: String) -> Secret? {
        IngestorConfiguration.readSecret(self, name, environment: environment)
    }
}

import Foundation
import IngestorKit
import Normalizer
import Testing

/// A source's decoder settings.
extension ConfigurationTests {
    @Test func genericListsCompositeKeysAndTitleTemplates() throws {
        let yaml = validYAML.replacingOccurrences(
            of: "  - topic: other.raw\n",
            with: """
                  - topic: other.raw
                    format: generic
                    generic:
                      events: [checks]
                      dedup_fields: [host, name]
                      title_template: "{name} on {host}"

                """
        )
        let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: ["DEVREV_TOKEN": "tok"])
        let mapping = try #require(configuration.sources.first { $0.topic == "other.raw" }).route.options.generic
        #expect(mapping.events == ["checks"])
        #expect(mapping.dedupFields == ["host", "name"])
        #expect(mapping.titleTemplate == "{name} on {host}")
    }
}

import Foundation
import IngestorKit
import Normalizer
import Testing

/// A source's decoder settings: the generic mapping and email patterns.
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

    @Test func emailPatternsMayLetTheBodyWin() throws {
        let yaml = validYAML.replacingOccurrences(
            of: "  - topic: other.raw\n",
            with: """
                  - topic: other.raw
                    format: email
                    email:
                      patterns:
                        - name: backup
                          subject: '^(?<type>FAILED|OK): backup of (?<host>\\S+)$'
                          body: ['Result: (?<state>\\w+)']
                          body_fields: {Job: id}
                          status_words: {failed: firing, ok: resolved}
                          identity: [host]
                          body_wins: [state]
                          resolving_states: [Success]

                """
        )
        let configuration = try IngestorConfiguration.parse(yaml: yaml, environment: ["DEVREV_TOKEN": "tok"])
        let pattern = try #require(
            configuration.sources.first { $0.topic == "other.raw" }?.route.options.email.patterns.first
        )
        #expect(pattern.bodyWins == ["state"])
        #expect(pattern.bodyFields == ["Job": "id"])
        #expect(pattern.resolvingStates == ["success"])
        let bad = yaml.replacingOccurrences(of: "body_wins: [state]", with: "body_wins: [colour]")
        #expect(problems(bad).map(\.path).contains { $0.hasSuffix("body_wins") })
        let badField = yaml.replacingOccurrences(of: "body_fields: {Job: id}", with: "body_fields: {Job: colour}")
        #expect(problems(badField).map(\.path).contains { $0.hasSuffix("body_fields.Job") })
    }
}

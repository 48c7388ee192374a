import Foundation
import IncidentAPI
import IncidentAPIFakes
import IngestorKit
import Testing

/// The one list of targets: what reads it (configuration, `mock-api`, the README) agrees with it.
@Suite("Target catalog")
struct TargetCatalogTests {
    @Test func kindsAndFlavorsAreUniqueAndEveryFlavorServesItsVariants() throws {
        let kinds = TargetCatalog.entries.map(\.descriptor.kind)
        let flavors = TargetCatalog.entries.map { $0.fake.flavorName }
        #expect(Set(kinds).count == kinds.count && Set(flavors).count == flavors.count)
        for entry in TargetCatalog.entries {
            let fake = entry.fake
            #expect(try fake.mock(secret: "s", variants: fake.variantNames).flavor == fake.flavorName)
            #expect(throws: FakeSetupError.self) { try fake.mock(secret: "s", variants: ["no-such-variant"]) }
            #expect(TargetCatalog.entry(kind: entry.descriptor.kind)?.fake.flavorName == fake.flavorName)
        }
    }

    /// The README's table of targets sits between these markers; `INGESTOR_UPDATE_README=1 swift test --filter
    /// TargetCatalogTests` rewrites it from the catalog (and fails, so the run is never mistaken for a pass).
    static let tableStart = "<!-- targets: generated from TargetCatalog.readmeTable -->\n"
    static let tableEnd = "<!-- /targets -->"

    @Test func theREADMEsTableIsTheCatalogs() throws {
        let file = repositoryRoot.appendingPathComponent("README.md")
        let readme = try String(contentsOf: file, encoding: .utf8)
        let start = try #require(readme.firstRange(of: Self.tableStart), "the README has no table markers")
        let end = try #require(readme[start.upperBound...].firstRange(of: Self.tableEnd))
        if ProcessInfo.processInfo.environment["INGESTOR_UPDATE_README"] == "1" {
            var updated = readme
            updated.replaceSubrange(start.upperBound..<end.lowerBound, with: TargetCatalog.readmeTable)
            try updated.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("rewrote the README's table of targets; review and commit it")
            return
        }
        #expect(String(readme[start.upperBound..<end.lowerBound]) == TargetCatalog.readmeTable)
        for entry in TargetCatalog.entries {
            #expect(
                readme.contains("kind: \(entry.descriptor.kind)\n"),
                "the README shows \(entry.descriptor.kind)'s configuration"
            )
        }
    }

    @Test func everyKindIsReadFromItsOwnSectionAndOthersAreRefused() throws {
        for entry in TargetCatalog.entries {
            let kind = entry.descriptor.kind
            let other = TargetCatalog.entries.first { $0.descriptor.kind != kind }!.descriptor.kind
            let found = problems(
                """
                kafka: {bootstrap_servers: "127.0.0.1:9092"}
                sources: [{topic: a}]
                dead_letter: {topic: dlq}
                target:
                  kind: \(kind)
                  \(kind): {}
                  \(other): {base_url: https://x}
                """
            )
            #expect(found.contains { $0.path == "target.\(other)" }, "\(kind): \(found)")
            #expect(found.contains { $0.path.hasPrefix("target.\(kind).") }, "\(kind) reads its section: \(found)")
        }
    }
}

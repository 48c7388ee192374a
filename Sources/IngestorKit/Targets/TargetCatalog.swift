package import IncidentAPI
package import IncidentAPIFakes

/// Every target ingestor can deliver to, one line each: the adapter's descriptor (its folder in
/// `Sources/IncidentAPI/Adapters/`) and the fake that imitates its vendor (its folder in
/// `Sources/IncidentAPIFakes/`). The configuration reader, the factory, `check-config`, `mock-api --flavor` and the
/// README's table of targets all read this list; adding a vendor is its two folders and one line here.
package enum TargetCatalog {
    /// One target kind and its fake.
    package struct Entry: Sendable {
        /// The adapter's descriptor.
        package let descriptor: TargetDescriptor
        /// The fake `mock-api --flavor` serves and the tests run against.
        package let fake: any MockAPIFlavor.Type

        package init(_ descriptor: TargetDescriptor, fake: any MockAPIFlavor.Type) {
            self.descriptor = descriptor
            self.fake = fake
        }
    }

    /// The targets, in the order the README lists them.
    package static let entries: [Entry] = [
        Entry(DevRevTarget.descriptor, fake: FakeDevRevAPI.self),
        Entry(MotadataTarget.descriptor, fake: FakeMotadataAPI.self),
        Entry(OneTrustTarget.descriptor, fake: FakeOneTrustAPI.self),
        Entry(SymantecTarget.descriptor, fake: FakeSymantecAPI.self),
        Entry(InfraonTarget.descriptor, fake: FakeInfraonAPI.self),
        Entry(ServiceNowTarget.descriptor, fake: FakeServiceNowAPI.self),
        Entry(PagerDutyTarget.descriptor, fake: FakePagerDutyAPI.self),
        Entry(GenericHTTPTarget.descriptor, fake: FakeGenericAPI.self),
    ]

    /// The entry of `target.kind` `kind`.
    package static func entry(kind: String) -> Entry? { entries.first { $0.descriptor.kind == kind } }

    /// The entry whose fake is `mock-api --flavor` `flavor`.
    package static func entry(flavor: String) -> Entry? { entries.first { $0.fake.flavorName == flavor } }

    /// The README's table of targets, as ``entries`` describe them.
    package static var readmeTable: String {
        let head =
            "| `target.kind` | `mock-api --flavor` | target | follows | what ingestor does |\n|---|---|---|---|---|\n"
        return head
            + entries.map { entry in
                let target = entry.descriptor
                return "| `\(target.kind)` | `\(entry.fake.flavorName)` | \(target.title) | \(target.document) | "
                    + "\(target.operations) |"
            }.joined(separator: "\n") + "\n"
    }
}

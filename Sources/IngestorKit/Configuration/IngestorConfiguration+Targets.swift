import IncidentAPI
import Logging
import Pipeline

/// `target.*`: the incident API, read by the adapter of `target.kind` from the catalog.
extension IngestorConfiguration {
    static func readTarget(_ section: ConfigSection, limits: inout TargetGate.Limits) -> Target? {
        let kinds = TargetCatalog.entries.map(\.descriptor.kind)
        let kind = section.choice("kind", default: "", from: kinds)
        if section.string("kind") == nil {
            section.problem("kind", nil, "is required: one of \(kinds.joined(separator: ", "))")
        }
        let descriptor = TargetCatalog.entry(kind: kind)?.descriptor
        let rateSection = section.section("rate_limit")
        let rate = rateSection.double("per_second", default: descriptor?.ratePerSecond ?? 20, in: 0...100_000)
        let burst = rateSection.int("burst", default: descriptor?.burst ?? 40, in: 1...100_000)
        rateSection.finish()
        limits = TargetGate.Limits(rate: rate > 0 ? rate : nil, burst: burst)
        var target: Target?
        for entry in TargetCatalog.entries {
            let name = entry.descriptor.kind
            let settings = section.section(name)
            if name == kind {
                target = entry.descriptor.read(settings).map(Target.init)
                settings.finish()
            } else if settings.isPresent {
                section.problem(name, nil, "is set but target.kind is not \(name)")
            }
        }
        section.finish()
        return target
    }
}

extension IngestorConfiguration.Target {
    /// Whether the adapter can look a dedup key up at its API, so that `pipeline.lookup_unknown_keys` (the safety
    /// net for lost state) applies to it. The adapter is made only to be asked, with a client that sends nothing.
    package var looksUpUnknownKeys: Bool {
        let target = configured.makeTarget(client: NoRequests(), logger: Logger(label: "ingestor.check-config"))
        return target.supportsLookup && target.lookupFindsIncidents
    }
}

/// A client for adapters made only to be asked what they support: every request fails without being sent.
private struct NoRequests: HTTPClient {
    func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        throw HTTPTransportError(.invalidRequest, "this adapter was made to be asked, not to send requests")
    }
}

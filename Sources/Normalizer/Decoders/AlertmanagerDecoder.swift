/// Prometheus Alertmanager webhook, version 4 (INPUT-FORMATS.md §1).
///
/// Every element of `alerts[]` becomes one event; the alert's `fingerprint` is the dedup key, so firing and
/// resolved notifications of one alert, and the notifications of both replicas of an HA pair, meet on one
/// incident.
public struct AlertmanagerDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .alertmanager }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["version"]?.string == "4" && object["groupKey"] != nil && object["alerts"]?.array != nil
            && object["orgId"] == nil
    }

    public func decode(
        _ object: JSONObject,
        input: NormalizerInput,
        options: DecodeOptions
    ) throws(Rejection) -> [NormalizedEvent] {
        guard let alerts = object["alerts"]?.array else {
            throw Rejection(.invalidPayload, "alertmanager: `alerts` is missing or not an array")
        }
        let commonLabels = object["commonLabels"]?.object?.stringMembers ?? []
        let receiver = object["receiver"]?.string
        let groupKey = object["groupKey"]?.scalarText
        let externalURL = object["externalURL"]?.string?.nonEmpty
        var events: [NormalizedEvent] = []
        events.reserveCapacity(alerts.count)
        for (position, element) in alerts.enumerated() {
            guard let alert = element.object else {
                throw Rejection(.invalidPayload, "alertmanager: alerts[\(position)] is not an object")
            }
            events.append(
                try decodeAlert(
                    alert,
                    position: position,
                    commonLabels: commonLabels,
                    receiver: receiver,
                    groupKey: groupKey,
                    externalURL: externalURL,
                    input: input,
                    options: options
                )
            )
        }
        return events
    }

    private func decodeAlert(
        _ alert: JSONObject,
        position: Int,
        commonLabels: [(key: String, value: String)],
        receiver: String?,
        groupKey: String?,
        externalURL: String?,
        input: NormalizerInput,
        options: DecodeOptions
    ) throws(Rejection) -> NormalizedEvent {
        let status: AlertStatus
        switch alert["status"]?.string {
        case "firing": status = .firing
        case "resolved": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "alertmanager: alerts[\(position)].status is \(other.map { "\"\($0)\"" } ?? "missing"), expected firing or resolved"
            )
        }
        guard let alertLabels = alert["labels"]?.object else {
            throw Rejection(.invalidPayload, "alertmanager: alerts[\(position)].labels is missing or not an object")
        }
        let ownLabels = alertLabels.stringMembers
        var labels: [String: String] = [:]
        for (key, value) in commonLabels { labels[key] = value }
        for (key, value) in ownLabels { labels[key] = value }
        let annotations = alert["annotations"]?.object

        let fingerprint = alert["fingerprint"]?.string?.nonEmpty ?? Self.fingerprint(of: ownLabels)
        let severity = options.severity(labels["severity"], labels: &labels)
        if let receiver { labels["alertmanager_receiver"] = receiver }
        if let groupKey { labels["alertmanager_group_key"] = groupKey }

        var title =
            annotations?["summary"]?.string?.nonEmpty ?? labels["alertname"] ?? "Alertmanager alert \(fingerprint)"
        if annotations?["summary"]?.string?.nonEmpty == nil {
            let scope = [labels["instance"], labels["job"]].compactMap { $0 }.joined(separator: " / ")
            if !scope.isEmpty { title += " on \(scope)" }
        }
        let description =
            annotations?["description"]?.string?.nonEmpty ?? annotations?["message"]?.string?.nonEmpty ?? ""

        var links: [NormalizedEvent.Link] = []
        if let generator = alert["generatorURL"]?.string?.nonEmpty {
            links.append(.init(href: generator, text: "source"))
        }
        if let externalURL { links.append(.init(href: externalURL, text: "alertmanager")) }
        if let runbook = annotations?["runbook_url"]?.string?.nonEmpty {
            links.append(.init(href: runbook, text: "runbook"))
        }

        let startsAt = alert["startsAt"]?.string.flatMap(Timestamp.init(rfc3339:))
        let endsAt = alert["endsAt"]?.string.flatMap(Timestamp.init(rfc3339:))
        return NormalizedEvent(
            source: "alertmanager",
            dedupKey: "am:" + fingerprint,
            status: status,
            severity: severity,
            title: title,
            description: description,
            labels: labels,
            links: links,
            occurredAt: startsAt ?? input.receivedAt,
            resolvedAt: status == .resolved ? (endsAt ?? input.receivedAt) : nil
        )
    }

    /// Prometheus's label-set fingerprint: 64-bit FNV-1a over the labels sorted by name, each name and value
    /// followed by the byte 0xFF, printed as 16 lowercase hex digits. Used when an old sender omits `fingerprint`.
    public static func fingerprint(of labels: [(key: String, value: String)]) -> String {
        var hash = FNV1a()
        for (key, value) in labels.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            hash.combine(key)
            hash.combine(0xFF)
            hash.combine(value)
            hash.combine(0xFF)
        }
        let hex = String(hash.value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

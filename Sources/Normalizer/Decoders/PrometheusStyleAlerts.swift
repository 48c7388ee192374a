/// Reads the `alerts[]` group shape that Alertmanager (§1) and Grafana unified alerting (§2.1) share: one event per
/// alert, each with its own status, the fingerprint as dedup key.
struct PrometheusStyleAlerts {
    /// The `source` of the events.
    var source: String
    /// The dedup-key prefix, e.g. `am:`.
    var keyPrefix: String
    /// Per-alert URL fields to add as links, with their link text.
    var extraLinks: [(field: String, text: String)] = []

    func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let alerts = object.array("alerts") else {
            throw Rejection(.invalidPayload, "\(source): `alerts` is missing or not an array")
        }
        var group = LabelBuilder()
        for (key, value) in object.object("commonLabels")?.stringMembers ?? [] { group.set(key, value) }
        group.set("\(source)_receiver", object["receiver"]?.string)
        group.set("\(source)_group_key", object["groupKey"]?.scalarText)
        if let truncated = object["truncatedAlerts"]?.int64, truncated > 0 {
            group.set("truncated_alerts", String(truncated))
        }
        let externalURL = object.text("externalURL")
        var events: [NormalizedEvent] = []
        events.reserveCapacity(alerts.count)
        for (position, element) in alerts.enumerated() {
            guard let alert = element.object else {
                throw Rejection(.invalidPayload, "\(source): alerts[\(position)] is not an object")
            }
            events.append(
                try decodeAlert(alert, position: position, group: group, externalURL: externalURL, context: context)
            )
        }
        return events
    }

    private func decodeAlert(
        _ alert: JSONObject,
        position: Int,
        group: LabelBuilder,
        externalURL: String?,
        context: DecodeContext
    ) throws(Rejection) -> NormalizedEvent {
        let status: AlertStatus
        switch alert["status"]?.string {
        case "firing": status = .firing
        case "resolved": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "\(source): alerts[\(position)].status is \(other.map { "\"\($0)\"" } ?? "missing"), expected firing or resolved"
            )
        }
        guard let alertLabels = alert.object("labels") else {
            throw Rejection(.invalidPayload, "\(source): alerts[\(position)].labels is missing or not an object")
        }
        let ownLabels = alertLabels.stringMembers
        var labels = group
        // Room for every label up front: one copy of the group's labels instead of a copy and then regrowing.
        labels.reserve(ownLabels.count + 2)
        for (key, value) in ownLabels { labels.set(key, value) }
        let annotations = alert.object("annotations")
        if let reason = annotations?.text("grafana_state_reason") { labels.set("grafana_state_reason", reason) }

        let fingerprint = alert.text("fingerprint") ?? AlertmanagerDecoder.fingerprint(of: ownLabels)
        var all = labels.labels
        var severity = context.severity(all["severity"], labels: &all)
        // Grafana's own no-data and error alerts are about the data source, not the service (INPUT-FORMATS §2.1).
        if all["severity"] == nil, ["DatasourceNoData", "DatasourceError"].contains(all["alertname"]) {
            severity = .low
        }

        let summary = annotations?.text("summary")
        var title = summary ?? all["alertname"] ?? "\(source) alert \(fingerprint)"
        if summary == nil {
            let scope = [all["instance"], all["job"]].compactMap { $0 }.joined(separator: " / ")
            if !scope.isEmpty { title += " on \(scope)" }
        }
        let description = annotations?.text("description", "message") ?? ""

        var links: [NormalizedEvent.Link] = []
        if let generator = alert.text("generatorURL") { links.append(.init(href: generator, text: "source")) }
        for (field, text) in extraLinks {
            if let url = alert.text(field) { links.append(.init(href: url, text: text)) }
        }
        if let externalURL { links.append(.init(href: externalURL, text: source)) }
        if let runbook = annotations?.text("runbook_url") { links.append(.init(href: runbook, text: "runbook")) }

        let startsAt = alert["startsAt"]?.string.flatMap(Timestamp.init(rfc3339:))
        // A firing alert's endsAt is a placeholder or a guess (Alertmanager's resolve timeout): only read when resolved.
        let endsAt = status == .resolved ? alert["endsAt"]?.string.flatMap(Timestamp.init(rfc3339:)) : nil
        return NormalizedEvent(
            source: source,
            dedupKey: keyPrefix + fingerprint,
            status: status,
            severity: severity,
            title: title,
            description: description,
            labels: all,
            links: links,
            occurredAt: startsAt ?? context.receivedAt,
            resolvedAt: status == .resolved ? (endsAt ?? context.receivedAt) : nil
        )
    }
}

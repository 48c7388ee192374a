/// Reads the `alerts[]` group shape that Alertmanager and Grafana unified alerting share (and Alertmanager-compatible
/// senders and relays imitate): one event per alert, each with its own status (the group's when the alert has none),
/// the fingerprint as dedup key.
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
        // Relays send the group key as a number (Alertmanager before version 4 did too) or not at all.
        group.set("\(source)_group_key", object["groupKey"].map { $0.scalarText ?? JSONWriter.string($0) })
        if let truncated = object["truncatedAlerts"]?.int64, truncated > 0 {
            group.set("truncated_alerts", String(truncated))
        }
        let externalURL = object.text("externalURL")
        let groupStatus = object.text("status")?.lowercased()
        var events: [NormalizedEvent] = []
        events.reserveCapacity(alerts.count)
        for (position, element) in alerts.enumerated() {
            guard let alert = element.object else {
                throw Rejection(.invalidPayload, "\(source): alerts[\(position)] is not an object")
            }
            events.append(
                try decodeAlert(
                    alert,
                    position: position,
                    group: group,
                    groupStatus: groupStatus,
                    externalURL: externalURL,
                    context: context
                )
            )
        }
        return events
    }

    private func decodeAlert(
        _ alert: JSONObject,
        position: Int,
        group: LabelBuilder,
        groupStatus: String?,
        externalURL: String?,
        context: DecodeContext
    ) throws(Rejection) -> NormalizedEvent {
        let status: AlertStatus
        switch alert["status"]?.string?.lowercased() ?? groupStatus {
        case "firing": status = .firing
        case "resolved": status = .resolved
        case nil:
            // Neither the alert nor its group says (alerts relayed as Alertmanager's API takes them): an end time
            // that has passed when the record arrived means resolved.
            let ends = alert["endsAt"]?.string.flatMap(Timestamp.init(rfc3339:))
            status = ends.map { ends in context.receivedAt.map { ends <= $0 } ?? false } == true ? .resolved : .firing
        case let other?:
            throw Rejection(
                .invalidPayload,
                "\(source): alerts[\(position)].status is \"\(other)\", expected firing or resolved"
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
        // Grafana's own no-data and error alerts are about the data source, not the service (Grafana's DatasourceNoData
        // and
        // DatasourceError).
        if all["severity"] == nil, ["DatasourceNoData", "DatasourceError"].contains(all["alertname"]) {
            severity = .low
        }

        let title =
            Self.title(alertname: all["alertname"], summary: annotations?.text("summary"), labels: all)
            ?? "\(source) alert \(fingerprint)"
        let description = annotations?.text("description", "message") ?? ""

        var links: [NormalizedEvent.Link] = []
        if let generator = alert.text("generatorURL") { links.append(.init(href: generator, text: "source")) }
        for (field, text) in extraLinks {
            if let url = alert.text(field) { links.append(.init(href: url, text: text)) }
        }
        if let externalURL { links.append(.init(href: externalURL, text: source)) }
        if let runbook = annotations?.text("runbook_url") { links.append(.init(href: runbook, text: "runbook")) }

        let startsAt = alert["startsAt"]?.string.flatMap(Timestamp.init(rfc3339:))
        // A firing alert's endsAt is a placeholder or a guess (Alertmanager's resolve timeout): only read when
        // resolved.
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

    /// The title as people see the alert: its name (`alertname`, the rule's name in Grafana) and its summary's first
    /// line, `Name: summary`; the summary alone when it already says the name (`DiskFull`, "Disk full on db-1");
    /// the name with the instance or job when there is no summary.
    static func title(alertname: String?, summary: String?, labels: [String: String]) -> String? {
        let line = summary.flatMap {
            $0.split(whereSeparator: \.isNewline).first.map { String($0).trimmingWhitespace() }?.nonEmpty
        }
        switch (alertname?.nonEmpty, line) {
        case (let name?, let line?):
            // `DiskFull` and "Disk full on db-1" say the same: compared by their letters and digits alone.
            func squeezed(_ text: String) -> String { String(text.lowercased().filter { $0.isLetter || $0.isNumber }) }
            return squeezed(line).contains(squeezed(name)) ? line : "\(name): \(line)"
        case (let name?, nil):
            let scope = [labels["instance"], labels["job"]].compactMap { $0 }.joined(separator: " / ")
            return scope.isEmpty ? name : "\(name) on \(scope)"
        case (nil, let line?):
            return line
        case (nil, nil):
            return nil
        }
    }
}

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
        let groupStatus = object["status"]?.string?.lowercased()
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
        let own = alert["status"]?.string
        switch own == "firing" || own == "resolved" ? own : own?.lowercased() ?? groupStatus {
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
        // Grafana's own no-data and error alerts (DatasourceNoData, DatasourceError) are about the data source, not
        // the service.
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
        // A firing alert's endsAt is a placeholder or a guess (Alertmanager's resolve timeout): read when resolved.
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
        let line = summary.flatMap(Self.firstLine)
        switch (alertname?.nonEmpty, line) {
        case (let name?, let line?):
            // Most summaries that say the name start with it as written: that needs no squeezing.
            if line.hasPrefix(name) { return line }
            return Self.squeezed(line).containsRun(Self.squeezed(name)) ? line : "\(name): \(line)"
        case (let name?, nil):
            let scope = [labels["instance"], labels["job"]].compactMap { $0 }.joined(separator: " / ")
            return scope.isEmpty ? name : "\(name) on \(scope)"
        case (nil, let line?):
            return line
        case (nil, nil):
            return nil
        }
    }

    /// The first non-empty line, trimmed; most summaries are one line, so that case does not split.
    private static func firstLine(_ text: String) -> String? {
        var bytes = text
        let oneLine = bytes.withUTF8 { !$0.contains(0x0A) && !$0.contains(0x0D) }
        guard !oneLine else { return text.nonEmpty }
        return text.split(whereSeparator: \.isNewline).lazy.compactMap { String($0).nonEmpty }.first
    }

    /// The text's letters and digits, ASCII lower-cased (non-ASCII bytes kept): `DiskFull` and "Disk full on db-1"
    /// become `diskfull` and `diskfullondb1`. Bytes, because this runs for every alert.
    private static func squeezed(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(byte | 0x20)
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), 0x80...:
                bytes.append(byte)
            default: continue
            }
        }
        return bytes
    }
}

extension [UInt8] {
    /// Whether `other` occurs in these bytes.
    fileprivate func containsRun(_ other: [UInt8]) -> Bool {
        guard !other.isEmpty else { return true }
        guard other.count <= count else { return false }
        for start in 0...(count - other.count) where self[start] == other[0] {
            if self[start..<(start + other.count)].elementsEqual(other) { return true }
        }
        return false
    }
}

/// Zabbix webhook media type with the parameter set the README recommends (INPUT-FORMATS.md §9). Every value is
/// a string built from macros; the format is chosen by route only.
public struct ZabbixDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .zabbix }
    public var detectionRank: Int? { nil }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["event_id"] != nil && object["event_value"] != nil
    }

    /// A macro Zabbix could not resolve stays literal (`{EVENT.X}`) or becomes `*UNKNOWN*`: treat it as missing.
    static func value(_ object: JSONObject, _ key: String) -> String? {
        guard let text = object.text(key) else { return nil }
        if text == "*UNKNOWN*" || (text.hasPrefix("{") && text.hasSuffix("}") && text.contains(".")) { return nil }
        return text
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let eventID = Self.value(object, "event_id") else {
            throw Rejection(.invalidPayload, "zabbix: event_id is required")
        }
        let source = Self.value(object, "event_source") ?? "0"
        guard source == "0" || source == "4" else {
            throw Rejection(
                .notAnAlert,
                "zabbix: event source \(source) (discovery, autoregistration or internal) opens no incident"
            )
        }
        let value = Self.value(object, "event_value")
        let update = Self.value(object, "event_update_status") == "1"
        let action = Self.value(object, "event_update_action")?.lowercased() ?? ""
        let status: AlertStatus
        switch (value, update) {
        case ("0", _): status = .resolved
        case ("1", false): status = .firing
        case ("1", true):
            status = action.contains("acknowledged") && !action.contains("unacknowledged") ? .acknowledged : .firing
        default: throw Rejection(.invalidPayload, "zabbix: event_value is \(value ?? "missing"), expected 0 or 1")
        }
        var labels = LabelBuilder()
        labels.set("host", Self.value(object, "host"))
        labels.set("trigger_id", Self.value(object, "trigger_id"))
        labels.set("update_action", action.nonEmpty)
        if let tags = Self.value(object, "event_tags"),
            let parsed = try? JSONParser(maxDepth: 4).parse(Array(tags.utf8))
        {
            for tag in (parsed.array ?? []).prefix(100) {
                if let name = tag["tag"]?.scalarText { labels.set("tag.\(name)", tag["value"]?.scalarText ?? "") }
            }
        }
        var all = labels.labels
        let severity: Severity
        switch Self.value(object, "event_nseverity") {
        case "5": severity = .critical
        case "4": severity = .high
        case "3": severity = .medium
        case "2": severity = .low
        case "1": severity = .info
        default: severity = context.severity(nil, labels: &all)
        }
        let offset = context.options.zabbixUTCOffset
        let problemTime = Self.time(
            date: Self.value(object, "event_date"),
            time: Self.value(object, "event_time"),
            offset: offset
        )
        let recoveryTime = Self.time(
            date: Self.value(object, "event_recovery_date"),
            time: Self.value(object, "event_recovery_time"),
            offset: offset
        )
        var links: [NormalizedEvent.Link] = []
        if let url = Self.value(object, "url") { links.append(.init(href: url, text: "zabbix")) }
        return [
            NormalizedEvent(
                source: "zabbix",
                dedupKey: "zabbix:" + eventID,
                status: status,
                severity: severity,
                title: Self.value(object, "event_name") ?? Self.value(object, "subject") ?? "Zabbix problem \(eventID)",
                description: Self.value(object, "message") ?? "",
                labels: all,
                links: links,
                occurredAt: problemTime ?? context.receivedAt,
                resolvedAt: status == .resolved ? (recoveryTime ?? context.receivedAt) : nil
            )
        ]
    }

    /// `2024.05.01` + `12:30:00` in the Zabbix server's zone.
    static func time(date: String?, time: String?, offset: Duration) -> Timestamp? {
        guard let date, let time else { return nil }
        let day = date.split(separator: ".").compactMap { Int($0) }
        let clock = time.split(separator: ":").compactMap { Int($0) }
        guard day.count == 3, clock.count == 3,
            let local = Timestamp(
                year: day[0],
                month: day[1],
                day: day[2],
                hour: clock[0],
                minute: clock[1],
                second: clock[2]
            )
        else { return nil }
        return local.advanced(by: .zero - offset)
    }
}

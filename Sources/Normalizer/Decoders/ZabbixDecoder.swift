/// Zabbix webhook media types. Every value is a string built from macros and the script decides the body, so the
/// format is chosen by route only. Read are the parameter set the README recommends (`event_id`, `event_value`,
/// `event_update_status`, …), the names Zabbix's own media types use (`alert_subject`, `alert_message`,
/// `event_severity`, `host_name`, `zabbix_url`, …), and the older message shapes that carry only a subject and a
/// message ("Problem: …" / "Resolved in 5m: …" / "OK: …") or a trigger status (`status` PROBLEM / OK, `trigger`,
/// `hostname`, `link`) (https://www.zabbix.com/documentation/current/en/manual/config/notifications/media/webhook).
///
/// A macro Zabbix could not expand (`{EVENT.NAME}` left as is, `*UNKNOWN*`) counts as missing.
public struct ZabbixDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .zabbix }
    public var detectionRank: Int? { nil }
    public var detectionRule: String {
        "by route only: `event_id`, `event_value`, `trigger`, `subject`/`alert_subject` or `message`/`alert_message`"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        ["event_id", "eventid", "event_value", "trigger", "subject", "alert_subject", "message", "alert_message"]
            .contains { object[$0] != nil }
    }

    /// The first of `keys` with a value, unless Zabbix left the macro unexpanded (`{EVENT.X}`, `{$MACRO}`,
    /// `*UNKNOWN*`).
    static func value(_ object: JSONObject, _ keys: String...) -> String? {
        for key in keys {
            guard let text = object.text(key), !isUnexpanded(text) else { continue }
            return text
        }
        return nil
    }

    /// Whether `text` is a macro left as it was written.
    static func isUnexpanded(_ text: String) -> Bool {
        text == "*UNKNOWN*"
            || (text.hasPrefix("{") && text.hasSuffix("}") && (text.contains(".") || text.hasPrefix("{$")))
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let source = Self.value(object, "event_source") ?? "0"
        guard source == "0" || source == "4" else {
            throw Rejection(
                .notAnAlert,
                "zabbix: event source \(source) (discovery, autoregistration or internal) opens no incident"
            )
        }
        let subject = Self.value(object, "subject", "alert_subject")
        let message = Self.value(object, "message", "alert_message")
        let action = Self.value(object, "event_update_action")?.lowercased() ?? ""
        let status = try Self.status(object, subject: subject, message: message, action: action)
        let key = try Self.problemKey(object, message: message, subject: subject)
        var labels = LabelBuilder()
        labels.set("host", Self.value(object, "host", "host_name", "hostname"))
        labels.set(
            "trigger_id",
            Self.value(object, "trigger_id", "triggerid") ?? Self.linkParameter(object, "triggerid")
        )
        labels.set("update_action", action.nonEmpty)
        labels.set("zabbix_status", Self.value(object, "status", "trigger_status", "event_status"))
        labels.set("item", Self.value(object, "item", "item_name"))
        if let tags = Self.value(object, "event_tags"),
            let parsed = try? JSONParser(maxDepth: 4).parse(Array(tags.utf8))
        {
            for tag in (parsed.array ?? []).prefix(100) {
                if let name = tag["tag"]?.scalarText { labels.set("tag.\(name)", tag["value"]?.scalarText ?? "") }
            }
        }
        var all = labels.labels
        let severity = Self.severity(object, context: context, labels: &all)
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
        if let url = Self.value(object, "url", "zabbix_url", "event_url", "link") {
            links.append(.init(href: url, text: "zabbix"))
        }
        let title =
            Self.value(object, "event_name", "trigger_name", "trigger", "trigger_description")
            ?? subject.flatMap(Self.subjectTitle) ?? "Zabbix problem \(key.dropFirst("zabbix:".count))"
        return [
            NormalizedEvent(
                source: "zabbix",
                dedupKey: key,
                status: status,
                severity: severity,
                title: title,
                description: message ?? "",
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

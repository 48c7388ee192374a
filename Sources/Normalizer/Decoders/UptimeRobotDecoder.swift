/// UptimeRobot webhooks sent as JSON, with UptimeRobot's own variable names (`monitorID`, `monitorURL`,
/// `monitorFriendlyName`, `alertType`, `alertTypeFriendlyName`, `alertDetails`, `alertDuration`, `alertDateTime`)
/// or the snake_case template many integrations publish (`monitor_url`, `alert_type`, …).
///
/// `alertType` 1 (down) fires, 2 (up) resolves, 3 (SSL certificate expiry) fires a separate, low-severity problem;
/// a variable UptimeRobot left unexpanded (`*alertDuration*`) counts as missing.
public struct UptimeRobotDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .uptimerobot }
    public var detectionRank: Int? { 20 }
    public var detectionRule: String {
        "`alertType` + one of `monitorID`, `monitorURL`, `monitorFriendlyName` (or their snake_case forms)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        (object["alertType"] != nil
            && (object["monitorID"] != nil || object["monitorURL"] != nil || object["monitorFriendlyName"] != nil))
            || (object["alert_type"] != nil
                && (object["monitor_id"] != nil || object["monitor_url"] != nil
                    || object["monitor_friendly_name"] != nil))
    }

    /// The value of the first of `names` present, unless it is a variable left unexpanded (`*name*`).
    static func value(_ object: JSONObject, _ names: String...) -> String? {
        for name in names {
            guard let text = object.text(name) else { continue }
            if text.count > 1, text.hasPrefix("*"), text.hasSuffix("*"), !text.dropFirst().dropLast().contains(" ") {
                continue
            }
            return text
        }
        return nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        let url = Self.value(object, "monitorURL", "monitor_url")
        let name = Self.value(object, "monitorFriendlyName", "monitor_friendly_name")
        guard let monitor = Self.value(object, "monitorID", "monitor_id") ?? url ?? name else {
            throw Rejection(.invalidPayload, "uptimerobot: no monitor id, URL or name")
        }
        let type =
            Self.value(object, "alertType", "alert_type")
            ?? Self.value(object, "alertTypeFriendlyName", "alert_type_friendly_name")?.lowercased()
        var key = "uptimerobot:" + monitor
        var status = AlertStatus.firing
        var severity: Severity? = nil
        switch type {
        case "1", "down": status = .firing
        case "2", "up": status = .resolved
        case "3":
            key += ":ssl"
            severity = .low
        case "98", "99":
            context.note("uptimerobot: alertType \(type ?? "") (monitor started or paused): no event")
            return []
        case let other:
            throw Rejection(.invalidPayload, "uptimerobot: alertType is \(other ?? "missing"), expected 1, 2 or 3")
        }
        var labels = LabelBuilder()
        labels.set("monitor_url", url)
        labels.set("alert_type", Self.value(object, "alertTypeFriendlyName", "alert_type_friendly_name"))
        labels.set("alert_duration", Self.value(object, "alertDuration", "alert_duration", "alert_friendly_duration"))
        labels.set("ssl_expiry_date", Self.value(object, "sslExpiryDate", "ssl_expiry_date"))
        labels.set("ssl_expiry_days_left", Self.value(object, "sslExpiryDaysLeft", "ssl_expiry_days_left"))
        var links: [NormalizedEvent.Link] = []
        if let url, url.contains("://") { links.append(.init(href: url, text: "monitored")) }
        let time =
            Self.value(object, "alertDateTime", "alert_datetime").flatMap { Timestamp(flexible: .string($0)) }
            ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "uptimerobot",
                dedupKey: key,
                status: status,
                severity: severity ?? context.options.defaultSeverity,
                title: (name ?? url ?? monitor) + (key.hasSuffix(":ssl") ? " certificate expiry" : ""),
                description: Self.value(object, "alertDetails", "alert_details") ?? "",
                labels: labels.labels,
                links: links,
                occurredAt: time,
                resolvedAt: status == .resolved ? time : nil
            )
        ]
    }
}

/// Status, identity, title and severity across the shapes Zabbix media types send.
extension ZabbixDecoder {
    /// From `event_value` (1 problem, 0 recovery) and `event_update_status` (the logic Zabbix's own media type
    /// scripts use), else a status word (`PROBLEM`, `OK`, `RESOLVED`), else the subject of Zabbix's default message
    /// templates (`Problem: …`, `Resolved: …`, `Resolved in 5m: …`, `OK: …`, `Updated problem: …`).
    static func status(
        _ object: JSONObject,
        subject: String?,
        message: String?,
        action: String
    ) throws(Rejection) -> AlertStatus {
        let acknowledged = action.contains("acknowledged") && !action.contains("unacknowledged")
        let update = value(object, "event_update_status") == "1"
        switch value(object, "event_value") {
        case "0": return .resolved
        case "1": return update && acknowledged ? .acknowledged : .firing
        case nil: break
        case let other?: throw Rejection(.invalidPayload, "zabbix: event_value is \(other), expected 0 or 1")
        }
        switch value(object, "status", "trigger_status", "event_status")?.uppercased() {
        case "PROBLEM": return .firing
        case "OK", "RESOLVED", "RECOVERY": return .resolved
        default: break
        }
        if let subject {
            let lower = subject.lowercased()
            if lower.hasPrefix("problem:") || lower.hasPrefix("problem ") { return .firing }
            if lower.hasPrefix("resolved") || lower.hasPrefix("ok:") || lower.hasPrefix("recovery") { return .resolved }
            if lower.hasPrefix("updated problem") {
                let text = (message ?? "").lowercased()
                return text.contains(" acknowledged") && !text.contains("unacknowledged") ? .acknowledged : .firing
            }
        }
        throw Rejection(
            .invalidPayload,
            "zabbix: no event_value, no status word and no Problem/Resolved subject to tell the state by"
        )
    }

    /// The problem's identity: the problem event id (`event_id`, which recovery and update messages repeat, or the
    /// default message's "Original problem ID: N"), else the trigger id (a parameter, or `triggerid=` in the link),
    /// else a hash of host and title.
    static func problemKey(_ object: JSONObject, message: String?, subject: String?) throws(Rejection) -> String {
        if let event = value(object, "event_id", "eventid") { return "zabbix:" + event }
        if let message, let id = originalProblemID(in: message) { return "zabbix:" + id }
        if let trigger = value(object, "trigger_id", "triggerid") ?? linkParameter(object, "triggerid") {
            return "zabbix:trigger:" + trigger
        }
        let host = value(object, "host", "host_name", "hostname") ?? ""
        guard let title = value(object, "event_name", "trigger_name", "trigger") ?? subject.flatMap(subjectTitle)
        else {
            throw Rejection(.invalidPayload, "zabbix: no event id, trigger id or title to identify the problem by")
        }
        return "zabbix:title:" + String(FNV1a.hash(host + "\u{1F}" + title), radix: 16)
    }

    /// `N` from "Original problem ID: N" in Zabbix's default problem, recovery and update messages.
    static func originalProblemID(in message: String) -> String? {
        guard let range = message.firstRange(of: "Original problem ID:") else { return nil }
        let digits = message[range.upperBound...].drop { $0 == " " || $0 == "\t" }.prefix { $0.isASCII && $0.isNumber }
        return digits.isEmpty ? nil : String(digits)
    }

    /// The value of `name=` in the payload's link (`…tr_events.php?triggerid=14032&eventid=10528`).
    static func linkParameter(_ object: JSONObject, _ name: String) -> String? {
        guard let link = value(object, "link", "url", "event_url"), let query = link.split(separator: "?").last else {
            return nil
        }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name, !parts[1].isEmpty { return String(parts[1]) }
        }
        return nil
    }

    /// The subject without its state prefix (`Problem: `, `Resolved in 5m 3s: `, `OK: `), unless what is left is an
    /// unexpanded macro.
    static func subjectTitle(_ subject: String) -> String? {
        var rest = Substring(subject)
        let lower = subject.lowercased()
        if ["problem", "resolved", "ok", "recovery", "updated problem"].contains(where: { lower.hasPrefix($0) }),
            let colon = rest.firstIndex(of: ":")
        {
            rest = rest[rest.index(after: colon)...]
        }
        guard let title = String(rest).nonEmpty, !isUnexpanded(title) else { return nil }
        return title
    }

    /// `event_nseverity` (5 Disaster … 0 Not classified), else the severity's name.
    static func severity(_ object: JSONObject, context: DecodeContext, labels: inout [String: String]) -> Severity {
        switch value(object, "event_nseverity") {
        case "5": return .critical
        case "4": return .high
        case "3": return .medium
        case "2": return .low
        case "1": return .info
        default: break
        }
        switch value(object, "event_severity", "severity", "trigger_severity")?.lowercased() {
        case "disaster": return .critical
        case "high": return .high
        case "average": return .medium
        case "warning": return .low
        case "information": return .info
        case "not classified", nil: return context.options.defaultSeverity
        case let word: return context.severity(word, labels: &labels)
        }
    }
}

/// VMware vRealize Operations / Aria Operations alerts from the REST notification plugin (JSON): `alertId`,
/// `resourceId`, `resourceName`, `criticality` (`ALERT_CRITICALITY_LEVEL_…`), `status` (`ACTIVE`, `UPDATED`,
/// `CANCELED`), `startDate` / `cancelDate` in epoch milliseconds.
public struct VMwareAriaDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .vmwareAria }
    public var detectionRank: Int? { 21 }
    public var detectionRule: String { "`alertId` + `resourceId` + `criticality` + `status`" }

    public func recognizes(_ object: JSONObject) -> Bool {
        object["alertId"] != nil && object["resourceId"] != nil && object["criticality"] != nil
            && object["status"] != nil
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        guard let id = object.text("alertId") else {
            throw Rejection(.invalidPayload, "vmware-aria: alertId is required")
        }
        let status: AlertStatus
        switch object.text("status")?.uppercased() {
        case "ACTIVE", "UPDATED", "NEW": status = .firing
        case "CANCELED", "CANCELLED": status = .resolved
        case let other:
            throw Rejection(
                .invalidPayload,
                "vmware-aria: status is \(other ?? "missing"), expected ACTIVE, UPDATED or CANCELED"
            )
        }
        let criticality = object.text("criticality")?.uppercased() ?? ""
        var labels = LabelBuilder()
        labels.set("criticality", criticality.nonEmpty)
        labels.set("alert_type", object.text("type"))
        labels.set("alert_subtype", object.text("subType"))
        labels.set("resource_id", object.text("resourceId"))
        labels.set("resource_kind", object.text("resourceKind"))
        labels.set("adapter_kind", object.text("adapterKind"))
        for key in ["Health", "Risk", "Efficiency", "impact"] { labels.set(key.lowercased(), object.text(key)) }
        var all = labels.labels
        let severity: Severity
        let prefix = "ALERT_CRITICALITY_LEVEL_"
        switch criticality.hasPrefix(prefix) ? String(criticality.dropFirst(prefix.count)) : criticality {
        case "CRITICAL": severity = .critical
        case "IMMEDIATE": severity = .high
        case "WARNING": severity = .medium
        case "INFO": severity = .info
        case let word: severity = context.severity(word.nonEmpty, labels: &all)
        }
        let what = object.text("alertName", "info") ?? object.text("subType") ?? "vRealize alert \(id)"
        let title = object.text("resourceName").map { "\(what) on \($0)" } ?? what
        let started = object["startDate"].flatMap { Timestamp(epoch: $0) } ?? context.receivedAt
        let cancelled = object["cancelDate"].flatMap { Timestamp(epoch: $0) } ?? context.receivedAt
        return [
            NormalizedEvent(
                source: "vmware-aria",
                dedupKey: "aria:" + id,
                status: status,
                severity: severity,
                title: title,
                description: [object.text("info"), object.text("recommendation")].compactMap { $0 }.joined(
                    separator: "\n\n"
                ),
                labels: all,
                links: object.text("alertURL", "url").map { [.init(href: $0, text: "alert")] } ?? [],
                occurredAt: started,
                resolvedAt: status == .resolved ? cancelled : nil
            )
        ]
    }
}

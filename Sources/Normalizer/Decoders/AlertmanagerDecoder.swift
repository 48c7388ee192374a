/// Prometheus Alertmanager webhooks (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config): version
/// 4, the version 3 of older Alertmanagers, and Alertmanager-compatible senders and relays that leave out `version`,
/// `groupKey` or the per-alert `status`, or send the group key as a number.
///
/// Every element of `alerts[]` becomes one event; the alert's `fingerprint` is the dedup key, so firing and
/// resolved notifications of one alert, and the notifications of both replicas of an HA pair, meet on one
/// incident.
public struct AlertmanagerDecoder: AlertDecoder {
    /// Creates the decoder.
    public init() {}

    public var format: SourceFormat { .alertmanager }
    public var detectionRank: Int? { 10 }
    public var detectionRule: String {
        "`alerts[]` of objects with `labels` + one of `groupKey`, `version`, `receiver`, `commonLabels`, `groupLabels`; no `orgId`, `version` not \"1\" (Grafana)"
    }

    public func recognizes(_ object: JSONObject) -> Bool {
        guard let alerts = object.array("alerts"), object["orgId"] == nil, object["version"]?.scalarText != "1" else {
            return false
        }
        let groupShape =
            object["groupKey"] != nil || object["version"] != nil || object["receiver"] != nil
            || object["commonLabels"] != nil || object["groupLabels"] != nil
        return groupShape && (alerts.isEmpty || alerts.first?["labels"] != nil || object["groupKey"] != nil)
    }

    public func decode(_ object: JSONObject, context: DecodeContext) throws(Rejection) -> [NormalizedEvent] {
        try PrometheusStyleAlerts(source: "alertmanager", keyPrefix: "am:").decode(object, context: context)
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

import Normalizer

/// The audit topic's records: one decision each, keyed like the key's changelog record.
extension DecisionRecord {
    /// The record key: the same as the changelog record of the decision's key.
    public var auditKey: String { ChangelogEntry.recordKey(target: target, dedupKey: dedupKey) }

    /// The record value: every field, the time in milliseconds since the epoch, and the worker that decided.
    public func auditValue(owner: String) -> [UInt8] {
        var object = JSONObject()
        object["at"] = .number(String(at.millisecondsSinceEpoch))
        object["target"] = .string(target)
        object["dedupKey"] = .string(dedupKey)
        object["decision"] = .string(decision)
        object["reason"] = .string(reason)
        object["externalId"] = externalID.map(JSONValue.string) ?? .null
        object["origin"] = origin.map(JSONValue.string) ?? .null
        object["owner"] = .string(owner)
        return JSONWriter.bytes(.object(object))
    }

    /// Reads an audit record back; `nil` when it is not one.
    public init?(auditValue value: [UInt8]) {
        guard let json = try? JSONParser().parse(value), let at = json["at"]?.int64,
            let target = json["target"]?.string, let dedupKey = json["dedupKey"]?.string,
            let decision = json["decision"]?.string, let reason = json["reason"]?.string
        else { return nil }
        self.init(
            at: Timestamp(millisecondsSinceEpoch: at),
            target: target,
            dedupKey: dedupKey,
            decision: decision,
            reason: reason,
            externalID: json["externalId"]?.string,
            origin: json["origin"]?.string
        )
    }
}

/// Where the delivery stage publishes its decisions, so that every worker's audit trail is in one place (the audit
/// topic through ``KafkaChangelog``). Best effort: the decisions are also in the worker's own file, and a failure to
/// publish one changes no state.
public protocol DecisionSink: Sendable {
    /// Hands `decisions` over for publishing, in order.
    func publish(_ decisions: [DecisionRecord], owner: String) async
}

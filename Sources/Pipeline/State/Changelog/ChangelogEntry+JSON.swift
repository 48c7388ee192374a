import Normalizer

/// The JSON of records and members in the changelog: every field, times in milliseconds since the epoch.
extension ChangelogEntry {
    static func json(_ record: IncidentRecord) -> JSONValue {
        var object = JSONObject()
        object["target"] = .string(record.target)
        object["dedupKey"] = .string(record.dedupKey)
        object["externalId"] = record.externalID.map(JSONValue.string) ?? .null
        object["status"] = .string(record.status.rawValue)
        object["contentHash"] = .number(String(record.contentHash))
        object["lastEventAt"] = time(record.lastEventAt)
        object["updateCount"] = .number(String(record.updateCount))
        object["createdAt"] = time(record.createdAt)
        object["updatedAt"] = time(record.updatedAt)
        object["resolvedAt"] = time(record.resolvedAt)
        if let pending = record.pending {
            object["pending"] = .object(
                JSONObject([("action", .string(pending.action.rawValue)), ("since", time(pending.since))])
            )
        }
        if let position = record.lastPosition {
            object["lastPosition"] = .object(
                JSONObject([
                    ("topic", .string(position.partition.topic)),
                    ("partition", .number(String(position.partition.partition))),
                    ("offset", .number(String(position.offset))),
                ])
            )
        }
        return .object(object)
    }

    static func record(_ json: JSONValue) -> IncidentRecord? {
        guard let target = json["target"]?.string, let dedupKey = json["dedupKey"]?.string,
            let status = json["status"]?.string.flatMap(IncidentRecord.Status.init(rawValue:)),
            case .number(let hashText)? = json["contentHash"], let contentHash = UInt64(hashText)
        else { return nil }
        var pending: IncidentRecord.PendingIntent?
        if let intent = json["pending"], let action = intent["action"]?.string.flatMap(IncidentCommand.Action.init),
            let since = timestamp(intent["since"])
        {
            pending = IncidentRecord.PendingIntent(action: action, since: since)
        }
        var position: MessagePosition?
        if let at = json["lastPosition"], let topic = at["topic"]?.string, let partition = at["partition"]?.int64,
            let offset = at["offset"]?.int64
        {
            position = MessagePosition(
                partition: PartitionID(topic: topic, partition: Int32(partition)),
                offset: offset
            )
        }
        return IncidentRecord(
            target: target,
            dedupKey: dedupKey,
            externalID: json["externalId"]?.string,
            status: status,
            contentHash: contentHash,
            lastEventAt: timestamp(json["lastEventAt"]),
            updateCount: Int(json["updateCount"]?.int64 ?? 0),
            createdAt: timestamp(json["createdAt"]),
            updatedAt: timestamp(json["updatedAt"]),
            resolvedAt: timestamp(json["resolvedAt"]),
            pending: pending,
            lastPosition: position
        )
    }

    static func json(_ member: GroupMember) -> JSONValue {
        .object(
            JSONObject([
                ("target", .string(member.target)),
                ("groupKey", .string(member.groupKey)),
                ("memberKey", .string(member.memberKey)),
                ("status", .string(member.status.rawValue)),
                ("severity", .string(member.severity.rawValue)),
                ("title", .string(member.title)),
                ("occurredAt", time(member.occurredAt)),
                ("firstSeen", time(member.firstSeen)),
            ])
        )
    }

    static func member(_ json: JSONValue) -> GroupMember? {
        guard let target = json["target"]?.string, let groupKey = json["groupKey"]?.string,
            let memberKey = json["memberKey"]?.string,
            let status = json["status"]?.string.flatMap(AlertStatus.init(rawValue:)),
            let severity = json["severity"]?.string.flatMap(Severity.init(rawValue:)),
            let title = json["title"]?.string, let firstSeen = timestamp(json["firstSeen"])
        else { return nil }
        return GroupMember(
            target: target,
            groupKey: groupKey,
            memberKey: memberKey,
            status: status,
            severity: severity,
            title: title,
            occurredAt: timestamp(json["occurredAt"]),
            firstSeen: firstSeen
        )
    }

    private static func time(_ value: Timestamp?) -> JSONValue {
        value.map { .number(String($0.millisecondsSinceEpoch)) } ?? .null
    }

    private static func timestamp(_ value: JSONValue?) -> Timestamp? {
        value?.int64.map(Timestamp.init(millisecondsSinceEpoch:))
    }
}

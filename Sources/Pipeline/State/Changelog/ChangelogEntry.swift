import Normalizer

/// One record of the changelog topic: a change to one key's state, a partition's ownership claim, or the events
/// offset its state reflects. Keyed so that compaction keeps the last of each (a record per dedup key, a member per
/// group and member key, one claim and one progress mark per partition); deletions are tombstones.
public enum ChangelogEntry: Sendable, Hashable {
    /// A key's incident record as it now stands.
    case record(IncidentRecord)
    /// A key's record was deleted (a create that turned out never to have happened).
    case recordDeleted(target: String, dedupKey: String)
    /// A group member as it now stands.
    case member(GroupMember)
    /// A group member was forgotten (its group's incident resolved).
    case memberDeleted(target: String, groupKey: String, memberKey: String)
    /// A worker took the partition: records written later under an older epoch are a fenced owner's, and ignored.
    case claim(epoch: Int64, owner: String)
    /// The partition's state reflects every events-topic record before this offset.
    case progress(offset: Int64)

    /// The header carrying the epoch a record was written under.
    public static let epochHeader = "ingestor-epoch"
    private static let separator = "\u{1F}"

    /// The record key.
    public var key: String {
        switch self {
        case .record(let record): Self.recordKey(target: record.target, dedupKey: record.dedupKey)
        case .recordDeleted(let target, let dedupKey): Self.recordKey(target: target, dedupKey: dedupKey)
        case .member(let member):
            Self.memberKey(target: member.target, groupKey: member.groupKey, memberKey: member.memberKey)
        case .memberDeleted(let target, let groupKey, let memberKey):
            Self.memberKey(target: target, groupKey: groupKey, memberKey: memberKey)
        case .claim: "c"
        case .progress: "p"
        }
    }

    static func recordKey(target: String, dedupKey: String) -> String {
        "r" + separator + target + separator + dedupKey
    }

    static func memberKey(target: String, groupKey: String, memberKey: String) -> String {
        "m" + separator + target + separator + groupKey + separator + memberKey
    }

    /// The record value: JSON, or empty for a tombstone.
    public var value: [UInt8] {
        switch self {
        case .record(let record): JSONWriter.bytes(Self.json(record))
        case .member(let member): JSONWriter.bytes(Self.json(member))
        case .recordDeleted, .memberDeleted: []
        case .claim(let epoch, let owner):
            JSONWriter.bytes(.object(JSONObject([("epoch", .number(String(epoch))), ("owner", .string(owner))])))
        case .progress(let offset): JSONWriter.bytes(.object(JSONObject([("offset", .number(String(offset)))])))
        }
    }

    /// Reads a changelog record back; `nil` for a key this build does not know (a newer build's entry).
    public init?(key: String, value: [UInt8]) {
        let parts = key.split(separator: Character(Self.separator), omittingEmptySubsequences: false).map(String.init)
        let json = value.isEmpty ? nil : try? JSONParser().parse(value)
        switch parts.first {
        case "r" where parts.count == 3:
            guard let json else {
                self = .recordDeleted(target: parts[1], dedupKey: parts[2])
                return
            }
            guard let record = Self.record(json) else { return nil }
            self = .record(record)
        case "m" where parts.count == 4:
            guard let json else {
                self = .memberDeleted(target: parts[1], groupKey: parts[2], memberKey: parts[3])
                return
            }
            guard let member = Self.member(json) else { return nil }
            self = .member(member)
        case "c":
            guard let epoch = json?["epoch"]?.int64 else { return nil }
            self = .claim(epoch: epoch, owner: json?["owner"]?.string ?? "")
        case "p":
            guard let offset = json?["offset"]?.int64 else { return nil }
            self = .progress(offset: offset)
        default:
            return nil
        }
    }
}

import IncidentAPI
import IngestorKit
import KafkaIO
import Normalizer
import Pipeline
import Testing

/// Filters, counts and the JSON rendering behind `ingestor dlq` and `ingestor replay`, on letters built in memory.
@Suite("Dead-letter inspection")
struct DeadLetterInspectionTests {
    static let hour = Int64(3_600_000)
    static let t0 = Timestamp(rfc3339: "2026-11-30T08:00:00Z")!

    static func letter(
        offset: Int64,
        stage: String = "deliver",
        reason: String = "target_unavailable",
        target: String? = "devrev",
        key: String = "am:1",
        replays: Int = 0,
        parked: Bool = false,
        at: Int64 = 0,
        value: [UInt8] = Array(#"{"password":"hunter22","ok":1}"#.utf8)
    ) -> DeadLetterRecord {
        var headers = [
            KafkaHeader(key: "trace", text: "t"), KafkaHeader(key: "ingestor-dlq-stage", text: stage),
            KafkaHeader(key: "ingestor-dlq-reason", text: reason),
            KafkaHeader(key: "ingestor-dlq-dedup-key", text: key),
            KafkaHeader(key: "ingestor-dlq-replay-count", text: String(replays)),
        ]
        if let target { headers.append(KafkaHeader(key: "ingestor-dlq-target", text: target)) }
        if parked { headers.append(KafkaHeader(key: "ingestor-dlq-parked", text: "true")) }
        return DeadLetterRecord(
            KafkaMessage(
                topicPartition: KafkaTopicPartition(topic: "alerts.dlq", partition: 0),
                offset: offset,
                key: Array("k\(offset)".utf8),
                value: value,
                headers: headers,
                timestampMilliseconds: t0.millisecondsSinceEpoch + at
            )
        )
    }

    @Test func filtersCombineAndEveryConditionMustHold() {
        var filter = DeadLetterFilter()
        #expect(filter.matches(Self.letter(offset: 0)))
        filter.reasons = ["target_unavailable", "target_rejected"]
        filter.stages = ["deliver"]
        #expect(filter.matches(Self.letter(offset: 0)))
        #expect(!filter.matches(Self.letter(offset: 0, reason: "invalid_json")))
        #expect(!filter.matches(Self.letter(offset: 0, stage: "correlate")))
        filter.since = Self.t0.advanced(by: .seconds(3600))
        #expect(!filter.matches(Self.letter(offset: 0, at: 0)), "written before --since")
        #expect(filter.matches(Self.letter(offset: 0, at: Self.hour)), "--since is inclusive")
        filter.until = Self.t0.advanced(by: .seconds(7200))
        #expect(!filter.matches(Self.letter(offset: 0, at: 2 * Self.hour)), "--until is exclusive")
        filter.key = "k7"
        #expect(filter.matches(Self.letter(offset: 7, at: Self.hour)), "the record key matches too")
        #expect(!filter.matches(Self.letter(offset: 8, at: Self.hour)))
        filter.key = "am:1"
        filter.targets = ["motadata"]
        #expect(!filter.matches(Self.letter(offset: 8, at: Self.hour)))
        #expect(filter.description.contains("reason=target_rejected,target_unavailable"), "stable spelling")
    }

    @Test func timesAreRFC3339DatesOrAges() {
        let now = Timestamp(rfc3339: "2026-11-30T12:00:00Z")!
        #expect(DeadLetterFilter.parseTime("2026-11-30T10:30:00Z", now: now)?.rfc3339 == "2026-11-30T10:30:00.000Z")
        #expect(DeadLetterFilter.parseTime("2026-11-29", now: now)?.rfc3339 == "2026-11-29T00:00:00.000Z")
        #expect(DeadLetterFilter.parseTime("90m", now: now)?.rfc3339 == "2026-11-30T10:30:00.000Z")
        #expect(DeadLetterFilter.parseTime("2d", now: now)?.rfc3339 == "2026-11-28T12:00:00.000Z")
        #expect(DeadLetterFilter.parseTime("yesterday", now: now) == nil)
        #expect(DeadLetterFilter.parseTime("-3h", now: now) == nil)
    }

    @Test func statsTellUnknownSendersApartByWhatWasSeen() throws {
        func unknown(_ offset: Int64, _ seen: String) -> DeadLetterRecord {
            let plain = Self.letter(offset: offset, stage: "normalize", reason: "unrecognized_format", target: nil)
            var message = plain.message
            message.headers.append(KafkaHeader(key: "ingestor-dlq-message", text: seen))
            return DeadLetterRecord(message)
        }
        let newSender = "a JSON object with top-level keys [monitor, level, when] that no decoder recognises"
        var stats = DeadLetterStats(topic: "alerts.dlq")
        for offset in 0..<3 { stats.add(unknown(Int64(offset), newSender)) }
        stats.add(unknown(3, "the payload is a JSON array of 2 elements, not an object"))
        stats.add(Self.letter(offset: 4))
        #expect(stats.unrecognized == [newSender: 3, "the payload is a JSON array of 2 elements, not an object": 1])
        #expect(stats.table.contains("      3  \(newSender)"), "\(stats.table)")
        #expect(stats.jsonValue["unrecognized"]?[newSender]?.int64 == 3)
    }

    @Test func statsCountByReasonStageTargetAndHour() throws {
        var stats = DeadLetterStats(topic: "alerts.dlq")
        stats.add(Self.letter(offset: 0))
        stats.add(Self.letter(offset: 1, at: 10))
        stats.add(Self.letter(offset: 2, stage: "normalize", reason: "invalid_json", target: nil, at: Self.hour))
        stats.add(Self.letter(offset: 3, replays: 3, parked: true, at: Self.hour))
        stats.add(
            DeadLetterRecord(
                KafkaMessage(
                    topicPartition: KafkaTopicPartition(topic: "alerts.dlq", partition: 0),
                    offset: 4,
                    key: nil,
                    value: [],
                    headers: [],
                    timestampMilliseconds: nil
                )
            )
        )
        #expect(stats.total == 4)
        #expect(stats.foreign == 1)
        #expect(stats.parked == 1)
        #expect(stats.replayed == 1)
        #expect(stats.byReason == ["target_unavailable": 3, "invalid_json": 1])
        #expect(stats.byStage == ["deliver": 3, "normalize": 1])
        #expect(stats.byTarget == ["devrev": 3, "-": 1])
        #expect(stats.byHour == ["2026-11-30T08:00Z": 2, "2026-11-30T09:00Z": 2])
        let table = stats.table
        #expect(table.hasPrefix("dead letters in alerts.dlq: 4 (2026-11-30T08:00:00.000Z … 2026-11-30T09:00:00.000Z)"))
        #expect(table.contains("  target_unavailable      3"), "most frequent first, counts aligned:\n\(table)")
        let json = stats.jsonValue
        #expect(json["byReason"]?["invalid_json"]?.int64 == 1)
        #expect(json["parked"]?.int64 == 1)
    }

    @Test func theJSONRenderingRedactsOnlyWhenAsked() throws {
        let record = Self.letter(offset: 5)
        let plain = record.jsonValue()
        #expect(plain["value"]?.string == #"{"password":"hunter22","ok":1}"#, "exported as it is")
        #expect(plain["valueEncoding"]?.string == "utf8")
        #expect(plain["headers"]?["ingestor-dlq-reason"]?.string == "target_unavailable")
        #expect(plain["originalHeaders"]?.array?.count == 1, "only the original's own headers")
        #expect(plain["command"] == .null)
        let redacted = record.jsonValue(redactor: Redactor())
        #expect(redacted["value"]?.string?.contains("hunter22") == false)
        let binary = Self.letter(offset: 6, value: [0xFF, 0xFE, 0x00]).jsonValue()
        #expect(binary["valueEncoding"]?.string == "base64")
        #expect(binary["value"]?.string == "//4A")
    }

    @Test func aLetterCutToFitIsIncompleteOnlyWhenItLacksPartOfItsMessage() {
        func cut(_ leftOut: String?) -> DeadLetterRecord {
            var record = Self.letter(offset: 11, value: Array("{\"partial".utf8))
            record.message.headers += [
                KafkaHeader(key: "ingestor-dlq-original-topic", text: "alerts.raw"),
                KafkaHeader(key: "ingestor-dlq-original-partition", text: "2"),
                KafkaHeader(key: "ingestor-dlq-original-offset", text: "40"),
                KafkaHeader(key: "ingestor-dlq-truncated", text: "broker_limit"),
                KafkaHeader(key: "ingestor-dlq-original-size", text: "1000044"),
                KafkaHeader(key: "ingestor-dlq-original-sha256", text: String(repeating: "ab", count: 32)),
            ]
            if let leftOut { record.message.headers.append(KafkaHeader(key: "ingestor-dlq-left-out", text: leftOut)) }
            return record
        }
        #expect(!Self.letter(offset: 10).isIncomplete, "a whole letter")
        #expect(!cut("command").isIncomplete, "without its command header the message is still whole")
        #expect(cut("command,value").isIncomplete)
        #expect(cut(nil).isIncomplete, "cut without saying what: assume the worst")
        let truncated = cut("value")
        #expect(truncated.originalSize == 1_000_044)
        #expect(truncated.originalLocation == "alerts.raw[2]@40")
        #expect(truncated.incompleteSummary.contains("the first 9 of 1000044 bytes"), "\(truncated.incompleteSummary)")
        #expect(truncated.incompleteSummary.contains("the whole message is at alerts.raw[2]@40"))
        var stats = DeadLetterStats(topic: "alerts.dlq")
        for record in [Self.letter(offset: 10), cut("command"), truncated] { stats.add(record) }
        #expect(stats.truncated == 1)
        #expect(stats.jsonValue["truncated"]?.int64 == 1)
        #expect(stats.table.contains("truncated to fit the topic"))
        let json = truncated.jsonValue()
        #expect(json["headers"]?["ingestor-dlq-left-out"]?.string == "value")
        #expect(json["headers"]?["ingestor-dlq-original-sha256"]?.string?.count == 64)
    }

    @Test func aReplayedLetterCarriesItsCountAndItsFirstHome() {
        var record = Self.letter(offset: 9, replays: 1)
        record.message.headers.append(KafkaHeader(key: "ingestor-dlq-original-timestamp", text: "2026-11-29T07:00:00Z"))
        let message = record.replayMessage
        #expect(message.position.description == "alerts.dlq[0]@9", "progress is kept in the dead-letter topic")
        #expect(message.header("ingestor-dlq-replay-count") == "2")
        #expect(message.headers.filter { $0.name == "ingestor-dlq-replay-count" }.count == 1)
        #expect(message.originTopic == "alerts.dlq", "no original topic header: the letter's own topic")
        #expect(message.timestamp?.rfc3339 == "2026-11-29T07:00:00.000Z", "the original record time")
    }
}

@Suite("Replay progress groups")
struct ReplayGroupTests {
    @Test func theSameFiltersShareProgressWithOrWithoutALimit() {
        var options = ReplayOptions()
        #expect(options.progressGroup(topic: "alerts.dlq") == "ingestor-replay.alerts.dlq")
        options.limit = 10
        #expect(options.progressGroup(topic: "alerts.dlq") == "ingestor-replay.alerts.dlq", "--limit continues")
        options.filter.reasons = ["target_unavailable"]
        let filtered = options.progressGroup(topic: "alerts.dlq")
        #expect(filtered.hasPrefix("ingestor-replay.alerts.dlq.") && filtered != "ingestor-replay.alerts.dlq.")
        options.filter.reasons = ["target_rejected"]
        #expect(options.progressGroup(topic: "alerts.dlq") != filtered, "another selection, its own progress")
        options.toTopic = "alerts.raw"
        #expect(options.progressGroup(topic: "alerts.dlq").hasSuffix(".to.alerts.raw"))
        options.group = "mine"
        #expect(options.progressGroup(topic: "alerts.dlq") == "mine")
    }
}

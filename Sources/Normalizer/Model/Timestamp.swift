/// A point in time with millisecond precision, independent of Foundation.
///
/// `Normalizer` has no clock: every timestamp it produces comes from the payload or from the Kafka record
/// timestamp the pipeline passes in.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    /// Creates a timestamp from milliseconds since the Unix epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2024-05-01T12:00:00.000Z`.
    public var description: String { rfc3339 }

    /// RFC 3339 in UTC with milliseconds, e.g. `2024-05-01T12:00:00.000Z`.
    public var rfc3339: String {
        var millis = millisecondsSinceEpoch
        var days = millis / 86_400_000
        millis %= 86_400_000
        if millis < 0 {
            millis += 86_400_000
            days -= 1
        }
        let (year, month, day) = Self.civil(fromDays: days)
        let hour = millis / 3_600_000
        let minute = millis / 60_000 % 60
        let second = millis / 1000 % 60
        let fraction = millis % 1000
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(fraction, 3))Z"
    }

    private func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Days since the epoch for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date for days since the epoch.
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Timestamp {
    /// Parses RFC 3339 and its common relatives: 0–9 fractional digits, `Z`, `±hh:mm`, `±hhmm` or no zone (UTC),
    /// and `T` or a space between date and time: the forms alerting tools really send.
    ///
    /// Go's zero time `0001-01-01T00:00:00Z` means "unset" and parses to `nil`, as does anything malformed.
    public init?(rfc3339 text: String) {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == 0x20 { bytes.removeLast() }
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<width {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            index += width
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2) else {
            return nil
        }
        guard index < bytes.count, bytes[index] == 0x54 || bytes[index] == 0x74 || bytes[index] == 0x20 else {
            return nil
        }
        index += 1
        guard let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A), let second = number(2) else {
            return nil
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var millis: Int64 = 0
        if index < bytes.count, bytes[index] == 0x2E || bytes[index] == 0x2C {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if digits < 3 { millis = millis * 10 + Int64(bytes[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0, digits <= 9 else { return nil }
            if digits < 3 {
                for _ in digits..<3 { millis *= 10 }
            }
        }
        var offsetMinutes: Int64 = 0
        if index < bytes.count {
            switch bytes[index] {
            case 0x5A, 0x7A:
                index += 1
            case 0x2B, 0x2D:
                let sign: Int64 = bytes[index] == 0x2D ? -1 : 1
                index += 1
                guard let offsetHours = number(2) else { return nil }
                _ = expect(0x3A)
                guard let offsetMins = number(2), offsetHours < 24, offsetMins < 60 else { return nil }
                offsetMinutes = sign * (offsetHours * 60 + offsetMins)
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        if year == 1, month == 1, day == 1, hour == 0, minute == 0, second == 0, millis == 0 { return nil }
        let days = Self.days(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        self.init(millisecondsSinceEpoch: seconds * 1000 + millis)
    }
}

extension Timestamp {
    /// Creates a timestamp from UTC calendar fields; `nil` when a field is out of range.
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0)
    {
        guard (1...12).contains(month), (1...31).contains(day), (0..<24).contains(hour), (0..<60).contains(minute),
            (0...60).contains(second), (0..<1000).contains(millisecond)
        else { return nil }
        let days = Self.days(year: Int64(year), month: Int64(month), day: Int64(day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(millisecondsSinceEpoch: seconds * 1000 + Int64(millisecond))
    }

    /// This timestamp moved by `duration` (negative durations move it back).
    public func advanced(by duration: Duration) -> Timestamp {
        let (seconds, attoseconds) = duration.components
        return Timestamp(
            millisecondsSinceEpoch: millisecondsSinceEpoch + seconds * 1000 + attoseconds / 1_000_000_000_000_000
        )
    }

    /// The time from `other` to this timestamp.
    public func duration(since other: Timestamp) -> Duration {
        .milliseconds(millisecondsSinceEpoch - other.millisecondsSinceEpoch)
    }
}

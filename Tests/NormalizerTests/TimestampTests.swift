import Normalizer
import Testing

@Suite("Timestamps")
struct TimestampTests {
    @Test(arguments: [
        ("2026-11-24T09:52:26.739266876+02:00", "2026-11-24T07:52:26.739Z"),
        ("2026-11-24T07:52:26Z", "2026-11-24T07:52:26.000Z"),
        ("2026-11-24T07:52:26.5Z", "2026-11-24T07:52:26.500Z"),
        ("2015-06-03T17:43:27.123+0000", "2015-06-03T17:43:27.123Z"),
        ("2019-03-22T13:58:24.3713213Z", "2019-03-22T13:58:24.371Z"),
        ("2026-01-01T00:30:00-01:30", "2026-01-01T02:00:00.000Z"),
        ("2026-11-24 07:52:26", "2026-11-24T07:52:26.000Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
        ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"),
    ])
    func parsesRFC3339AndRelatives(input: String, expected: String) {
        #expect(Timestamp(rfc3339: input)?.rfc3339 == expected)
    }

    @Test(arguments: [
        "0001-01-01T00:00:00Z", "", "yesterday", "2026-13-01T00:00:00Z", "2026-11-24T25:00:00Z",
        "2026-11-24T07:52:26.Z", "2026-11-24T07:52:26Zjunk", "2026-11-24T07:52:26.1234567890Z",
    ])
    func unsetOrMalformedIsNil(input: String) {
        #expect(Timestamp(rfc3339: input) == nil)
    }

    @Test func calendarFieldsAndArithmetic() {
        let start = Timestamp(year: 2026, month: 11, day: 24, hour: 8)!
        #expect(start.rfc3339 == "2026-11-24T08:00:00.000Z")
        #expect(start.advanced(by: .seconds(90)).rfc3339 == "2026-11-24T08:01:30.000Z")
        #expect(start.advanced(by: .seconds(90)).duration(since: start) == .seconds(90))
        #expect(Timestamp(year: 2026, month: 2, day: 30) != nil)
        #expect(Timestamp(year: 2026, month: 13, day: 1) == nil)
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
    }
}

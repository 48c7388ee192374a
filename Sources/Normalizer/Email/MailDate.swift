/// RFC 5322 §3.3 dates, plus the obsolete forms of §4.3 that must still be accepted: two- and three-digit years,
/// zone names (`UT`, `GMT`, `EST`…), military letters, a missing zone, comments.
enum MailDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420,
        "mdt": -360,
        "pst": -480, "pdt": -420,
    ]

    static func parse(_ text: String) -> Timestamp? {
        let cleaned = HeaderParameters.stripComments(text).lowercased()
        var tokens = cleaned.split { $0 == " " || $0 == "," || $0 == "\t" }.map(String.init)
        if let first = tokens.first, first.count >= 3, first.allSatisfy(\.isLetter),
            !months.contains(String(first.prefix(3)))
        {
            tokens.removeFirst()  // day name
        }
        guard tokens.count >= 4, let day = Int(tokens[0]),
            let monthIndex = months.firstIndex(of: String(tokens[1].prefix(3))),
            var year = Int(tokens[2])
        else { return nil }
        if tokens[2].count == 2 { year += year < 50 ? 2000 : 1900 } else if tokens[2].count == 3 { year += 1900 }
        let clock = tokens[3].split(separator: ":").compactMap { Int($0) }
        guard clock.count >= 2 else { return nil }
        var offsetMinutes = 0
        if tokens.count >= 5 {
            let zone = tokens[4]
            if let sign = zone.first, sign == "+" || sign == "-", let digits = Int(zone.dropFirst()), zone.count == 5 {
                offsetMinutes = (sign == "-" ? -1 : 1) * (digits / 100 * 60 + digits % 100)
            } else {
                offsetMinutes = zones[zone] ?? 0  // military letters and unknown names: -0000 (RFC 5322 §4.3)
            }
        }
        guard
            let local = Timestamp(
                year: year,
                month: monthIndex + 1,
                day: day,
                hour: clock[0],
                minute: clock[1],
                second: clock.count > 2 ? clock[2] : 0
            )
        else { return nil }
        return local.advanced(by: .seconds(-offsetMinutes * 60))
    }
}

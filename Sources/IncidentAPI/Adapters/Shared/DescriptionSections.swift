/// A description that ingestor and people both write: ingestor owns the text above its marker line
/// (`ingestor-dedup-key: <key>`) and rewrites it on updates; everything below the marker line (replies appended for
/// APIs without comments, notes people add) is kept through every update. Pure.
///
/// The marker also ties the incident to its dedup key for APIs whose only way to find an incident again is a text
/// search or a list (OneTrust, Infraon). It is matched as a whole line, so `am:1` never matches `am:12`.
public enum DescriptionSections {
    /// The marker line for `dedupKey`.
    public static func marker(_ dedupKey: String) -> String { "ingestor-dedup-key: \(dedupKey)" }

    /// A new incident's description: ingestor's `body`, then the marker line.
    public static func initial(body: String, dedupKey: String) -> String {
        body.isEmpty ? marker(dedupKey) : body + "\n\n" + marker(dedupKey)
    }

    /// `current` with ingestor's part replaced by `body`; the marker line and everything after it are kept. When the
    /// marker is gone (someone rewrote the whole description), all of `current` is kept below a new marker line.
    public static func replacingOwned(in current: String, with body: String, dedupKey: String) -> String {
        guard let line = markerLine(in: current, dedupKey: dedupKey) else {
            let kept = current.isEmpty ? "" : "\n\n" + current
            return initial(body: body, dedupKey: dedupKey) + kept
        }
        return initial(body: body, dedupKey: dedupKey) + current[line.upperBound...]
    }

    /// `current` with `paragraph` added at its end, below the marker line (where updates never write).
    public static func appending(_ paragraph: String, to current: String) -> String {
        current.isEmpty ? paragraph : current + "\n\n" + paragraph
    }

    /// The text below the marker line: what people and replies added. The whole text when there is no marker.
    public static func othersPart(of current: String, dedupKey: String) -> String {
        guard let line = markerLine(in: current, dedupKey: dedupKey) else { return current }
        return String(current[line.upperBound...].drop { $0 == "\n" || $0 == "\r\n" })
    }

    /// Whether `text` holds the marker line of `dedupKey`, as a whole line.
    public static func contains(_ text: String, dedupKey: String) -> Bool {
        markerLine(in: text, dedupKey: dedupKey) != nil
    }

    /// The range of the marker line (without its line break), or `nil`.
    static func markerLine(in text: String, dedupKey: String) -> Range<String.Index>? {
        let marker = marker(dedupKey)
        var searchFrom = text.startIndex
        while let found = text[searchFrom...].firstRange(of: marker) {
            let startsLine =
                found.lowerBound == text.startIndex || text[text.index(before: found.lowerBound)] == "\n"
                || text[text.index(before: found.lowerBound)] == "\r\n"
            let endsLine =
                found.upperBound == text.endIndex || text[found.upperBound] == "\n"
                || text[found.upperBound] == "\r\n" || text[found.upperBound] == "\r"
            if startsLine && endsLine { return found }
            searchFrom = found.upperBound
        }
        return nil
    }
}

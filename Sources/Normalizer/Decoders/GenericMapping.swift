/// Where the generic decoder finds each field, and how it maps values; set per route in the configuration.
///
/// Paths are dotted (`alert.labels`, `items.0.id`), tried in order, the first present wins.
public struct GenericMapping: Sendable, Hashable {
    /// Paths to a list of alerts in one payload; each element becomes one event, its fields looked up in the element
    /// first and in the whole payload second. Empty (default): the payload is one alert; a payload that is a
    /// top-level JSON array is read as if `events` were `[$]`.
    public var events: [String] = []
    /// Fields whose values, all of them joined with `/`, make the dedup key (`[host, check]`); when set, they win
    /// over ``dedupKey``. Empty by default.
    public var dedupFields: [String] = []
    /// A title built from fields, `{path}` standing for the value at `path` (`"{check} on {host}"`); when it comes
    /// out empty, the ``title`` paths apply. `nil` by default.
    public var titleTemplate: String?
    /// Paths to the title; default `title`, `summary`, `message`.
    public var title = ["title", "summary", "message"]
    /// Paths to the description; default `description`, `details`, `body`.
    public var description = ["description", "details", "body"]
    /// Paths to the status; default `status`, `state`, `event_action`.
    public var status = ["status", "state", "event_action"]
    /// Paths to the severity; default `severity`, `priority`, `level`.
    public var severity = ["severity", "priority", "level"]
    /// Paths to the dedup key; default `dedup_key`, `fingerprint`, `alias`, `id`. Without one, a hash of the source
    /// and the sorted labels.
    public var dedupKey = ["dedup_key", "fingerprint", "alias", "id"]
    /// Paths to the start time (RFC 3339 or epoch s/ms); default `starts_at`, `timestamp`, `time`.
    public var occurredAt = ["starts_at", "timestamp", "time"]
    /// Paths to the end time; default `ends_at`, `resolved_at`.
    public var resolvedAt = ["ends_at", "resolved_at"]
    /// Paths to labels (an object, or a list of `key:value` strings); default `labels`, `tags`.
    public var labels = ["labels", "tags"]
    /// Paths to links (a list of `{href|url, text}`, or one URL string); default `links`, `url`.
    public var links = ["links", "url"]
    /// Path to the sending system's name; default `source`.
    public var source = ["source"]
    /// Status words (lower-cased) on top of the built-in vocabulary.
    public var statusValues: [String: AlertStatus] = [:]
    /// Severity words (lower-cased) on top of the built-in vocabulary.
    public var severityValues: [String: Severity] = [:]

    /// The defaults.
    public init() {}

    /// The path at which a payload that is a top-level JSON array is found (`events: [$]` reads its elements).
    public static let topLevelArrayPath = "$"

    /// The built-in status vocabulary.
    static let statusVocabulary: [String: AlertStatus] = [
        "firing": .firing, "fire": .firing, "trigger": .firing, "triggered": .firing, "open": .firing,
        "alerting": .firing,
        "problem": .firing, "active": .firing, "alarm": .firing, "resolved": .resolved, "resolve": .resolved,
        "ok": .resolved,
        "closed": .resolved, "recovered": .resolved, "clear": .resolved, "cleared": .resolved,
        "acknowledged": .acknowledged,
        "ack": .acknowledged,
    ]
}

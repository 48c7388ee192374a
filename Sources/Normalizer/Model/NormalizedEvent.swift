/// One alert or email-derived event, in the shape every later stage works with.
///
/// Documented by `schemas/normalized-event.schema.json`; ``jsonValue`` is its JSON rendering.
public struct NormalizedEvent: Sendable, Hashable {
    /// The decoder that produced the event, e.g. `alertmanager`.
    public var source: String
    /// Identifies the problem across repeats and resolution; equal keys belong to one incident.
    public var dedupKey: String
    /// Where the alert stands at its source.
    public var status: AlertStatus
    /// Severity on our scale.
    public var severity: Severity
    /// One line a person reads first.
    public var title: String
    /// Longer text; may be empty.
    public var description: String
    /// Labels from the source plus meta labels; sorted by key when rendered.
    public var labels: [String: String]
    /// Links to the source (query, dashboard, runbook).
    public var links: [Link]
    /// When the problem started, if the source says.
    public var occurredAt: Timestamp?
    /// When the problem ended, for resolved events, if the source says.
    public var resolvedAt: Timestamp?
    /// Whether the event is a person's reply in an existing thread (email), which becomes a comment rather than a
    /// change of the incident.
    public var isReply: Bool
    /// Attachments the source carried, listed but not decoded (email).
    public var attachments: [Attachment]
    /// Whether this event may open an incident. `false` for events that only make sense for an incident that is
    /// already open: a PagerDuty acknowledge, a CloudWatch alarm going from ALARM to INSUFFICIENT_DATA.
    public var opensIncident: Bool
    /// Whether title and description are real content. `false` when the source sent only a state change (a
    /// PagerDuty acknowledge or resolve body); the title is then a placeholder that must not overwrite an
    /// incident's title.
    public var carriesContent: Bool

    /// Creates an event.
    public init(
        source: String,
        dedupKey: String,
        status: AlertStatus,
        severity: Severity,
        title: String,
        description: String = "",
        labels: [String: String] = [:],
        links: [Link] = [],
        occurredAt: Timestamp? = nil,
        resolvedAt: Timestamp? = nil,
        isReply: Bool = false,
        attachments: [Attachment] = [],
        opensIncident: Bool = true,
        carriesContent: Bool = true
    ) {
        self.source = source
        self.dedupKey = dedupKey
        self.status = status
        self.severity = severity
        self.title = title
        self.description = description
        self.labels = labels
        self.links = links
        self.occurredAt = occurredAt
        self.resolvedAt = resolvedAt
        self.isReply = isReply
        self.attachments = attachments
        self.opensIncident = opensIncident
        self.carriesContent = carriesContent
    }

    /// An attachment: what it is, not its content.
    public struct Attachment: Sendable, Hashable {
        /// The file name, if the sender gave one.
        public var filename: String?
        /// The media type, e.g. `application/pdf`.
        public var contentType: String
        /// The decoded size in bytes.
        public var size: Int

        /// Creates an attachment record.
        public init(filename: String?, contentType: String, size: Int) {
            self.filename = filename
            self.contentType = contentType
            self.size = size
        }
    }

    /// A hyperlink attached to an event.
    public struct Link: Sendable, Hashable {
        /// The URL.
        public var href: String
        /// What the link points at, e.g. `source`, `runbook`.
        public var text: String

        /// Creates a link.
        public init(href: String, text: String) {
            self.href = href
            self.text = text
        }
    }
}

extension NormalizedEvent {
    /// The version of the JSON rendering, written as its `v` field. Fields are only ever added within a version;
    /// removing, renaming or retyping one makes the next.
    public static let schemaVersion = 1

    /// The JSON rendering documented by `schemas/normalized-event.schema.json`.
    public var jsonValue: JSONValue {
        var object = JSONObject()
        object["v"] = .number(String(Self.schemaVersion))
        object["source"] = .string(source)
        object["dedupKey"] = .string(dedupKey)
        object["status"] = .string(status.rawValue)
        object["severity"] = .string(severity.rawValue)
        object["title"] = .string(title)
        object["description"] = .string(description)
        object["labels"] = .object(JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        object["links"] = .array(
            links.map { .object(JSONObject([("href", .string($0.href)), ("text", .string($0.text))])) }
        )
        object["occurredAt"] = occurredAt.map { .string($0.rfc3339) } ?? .null
        object["resolvedAt"] = resolvedAt.map { .string($0.rfc3339) } ?? .null
        object["isReply"] = .bool(isReply)
        object["opensIncident"] = .bool(opensIncident)
        object["carriesContent"] = .bool(carriesContent)
        object["attachments"] = .array(
            attachments.map {
                .object(
                    JSONObject([
                        ("filename", $0.filename.map(JSONValue.string) ?? .null),
                        ("contentType", .string($0.contentType)),
                        ("size", .number(String($0.size))),
                    ])
                )
            }
        )
        return .object(object)
    }
}

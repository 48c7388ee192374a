extension NormalizedEvent {
    /// Why a JSON document is not a normalized event of a version this build reads.
    public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The field that is missing or wrong (`v` for an unknown version).
        public var field: String
        /// What is wrong with it.
        public var problem: String

        public var description: String { "\(field): \(problem)" }
    }

    /// Reads an event back from its JSON rendering (``jsonValue``, `schemas/normalized-event.schema.json`): what
    /// the delivery stage does with the records of the events topic. Fields this build does not know are ignored;
    /// a version it does not know is refused.
    /// - Throws: ``DecodingError`` naming the first field that is missing or has the wrong type.
    public init(json: JSONValue) throws(DecodingError) {
        guard let object = json.object else { throw DecodingError(field: "(document)", problem: "is not an object") }
        guard let version = object["v"]?.int64 else { throw DecodingError(field: "v", problem: "is missing") }
        guard version == Int64(Self.schemaVersion) else {
            throw DecodingError(field: "v", problem: "is \(version); this build reads version \(Self.schemaVersion)")
        }
        func string(_ field: String) throws(DecodingError) -> String {
            guard let value = object[field]?.string else {
                throw DecodingError(field: field, problem: "must be a string")
            }
            return value
        }
        func bool(_ field: String) throws(DecodingError) -> Bool {
            guard case .bool(let value)? = object[field] else {
                throw DecodingError(field: field, problem: "must be true or false")
            }
            return value
        }
        func time(_ field: String) throws(DecodingError) -> Timestamp? {
            switch object[field] {
            case nil, .null?: return nil
            case .string(let text)?:
                guard let time = Timestamp(rfc3339: text) else {
                    throw DecodingError(field: field, problem: "is not an RFC 3339 time")
                }
                return time
            default: throw DecodingError(field: field, problem: "must be a time or null")
            }
        }
        guard let status = AlertStatus(rawValue: try string("status")) else {
            throw DecodingError(field: "status", problem: "is not firing, acknowledged or resolved")
        }
        guard let severity = Severity(rawValue: try string("severity")) else {
            throw DecodingError(field: "severity", problem: "is not a known severity")
        }
        guard let labelObject = object["labels"]?.object else {
            throw DecodingError(field: "labels", problem: "must be an object")
        }
        var labels: [String: String] = [:]
        for (key, value) in labelObject.members {
            guard let text = value.string else {
                throw DecodingError(field: "labels.\(key)", problem: "must be a string")
            }
            labels[key] = text
        }
        var links: [Link] = []
        for link in object["links"]?.array ?? [] {
            guard let href = link["href"]?.string else { throw DecodingError(field: "links", problem: "need an href") }
            links.append(Link(href: href, text: link["text"]?.string ?? ""))
        }
        var attachments: [Attachment] = []
        for attachment in object["attachments"]?.array ?? [] {
            guard let type = attachment["contentType"]?.string, let size = attachment["size"]?.int64 else {
                throw DecodingError(field: "attachments", problem: "need a contentType and a size")
            }
            attachments.append(Attachment(filename: attachment["filename"]?.string, contentType: type, size: Int(size)))
        }
        self.init(
            source: try string("source"),
            dedupKey: try string("dedupKey"),
            status: status,
            severity: severity,
            title: try string("title"),
            description: try string("description"),
            labels: labels,
            links: links,
            occurredAt: try time("occurredAt"),
            resolvedAt: try time("resolvedAt"),
            isReply: try bool("isReply"),
            attachments: attachments,
            opensIncident: try bool("opensIncident"),
            carriesContent: try bool("carriesContent")
        )
    }
}

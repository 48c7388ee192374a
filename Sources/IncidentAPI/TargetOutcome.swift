public import Normalizer

/// How one call to an incident API ended, as every adapter classifies it.
public enum TargetOutcome: Sendable, Hashable {
    /// The API accepted the call. `externalID` is the incident's id when the response carries one.
    case success(externalID: String?, httpStatus: Int)
    /// Trying again may succeed; wait at least `retryAfter` when the API said so.
    case retryable(TargetFailure, retryAfter: RetryHint?)
    /// The credentials were refused; refresh them once, then treat as final.
    case authFailure(TargetFailure)
    /// The API refused the call for good (a 4xx other than 401, 408 and 429, or an unusable answer).
    case permanent(TargetFailure)

    /// The failure, for every case but success.
    public var failure: TargetFailure? {
        switch self {
        case .success: nil
        case .retryable(let failure, _), .authFailure(let failure), .permanent(let failure): failure
        }
    }
}

/// What went wrong with a call, with the response excerpt already redacted.
public struct TargetFailure: Sendable, Hashable, CustomStringConvertible {
    /// A stable reason code, for dead-letter headers and metric labels.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The stable spelling.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// A 4xx the API will not accept again.
        public static let rejected = Code("target_rejected")
        /// 401 after a refresh, or no usable credentials.
        public static let unauthorized = Code("target_unauthorized")
        /// 403: the credentials lack a permission.
        public static let forbidden = Code("target_forbidden")
        /// 404 for an incident we believed existed.
        public static let notFound = Code("target_not_found")
        /// 429: the API's rate limit.
        public static let throttled = Code("target_throttled")
        /// 408 or 5xx.
        public static let unavailable = Code("target_unavailable")
        /// No HTTP response (connect, timeout, TLS).
        public static let transport = Code("target_unreachable")
        /// A 2xx whose body could not be used (e.g. no incident id).
        public static let invalidResponse = Code("target_invalid_response")
        /// The command cannot be expressed for this API (e.g. update without an id).
        public static let unsupported = Code("target_unsupported")

        public var description: String { rawValue }
    }

    /// The reason code.
    public var code: Code
    /// What happened, for people.
    public var message: String
    /// The HTTP status, when a response arrived.
    public var httpStatus: Int?
    /// The start of the response body with credentials removed.
    public var responseExcerpt: String?
    /// Whether the request certainly never reached the API (no connection could be made), so it cannot have been
    /// applied: a create that failed this way leaves nothing to look up.
    public var notSent: Bool

    /// Creates a failure.
    public init(
        _ code: Code,
        _ message: String,
        httpStatus: Int? = nil,
        responseExcerpt: String? = nil,
        notSent: Bool = false
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.responseExcerpt = responseExcerpt
        self.notSent = notSent
    }

    public var description: String {
        "\(code)\(httpStatus.map { " (HTTP \($0))" } ?? ""): \(message)"
    }
}

/// When the API asked to be called again.
public enum RetryHint: Sendable, Hashable {
    /// After this long (`Retry-After: 30`, DevRev's `retry_after`).
    case after(Duration)
    /// Not before this time (`Retry-After` as an HTTP date).
    case notBefore(Timestamp)

    /// Parses a `Retry-After` value: delay seconds or an IMF-fixdate (RFC 9110 §10.2.3).
    public init?(retryAfterHeader value: String) {
        let trimmed = value.filter { $0 != " " && $0 != "\t" }
        if let seconds = Int(trimmed), seconds >= 0 {
            self = .after(.seconds(seconds))
            return
        }
        guard let date = HTTPDate.parse(value) else { return nil }
        self = .notBefore(date)
    }

    /// The delay from `now`, never negative.
    public func delay(from now: Timestamp) -> Duration {
        switch self {
        case .after(let duration): return max(duration, .zero)
        case .notBefore(let time): return max(time.duration(since: now), .zero)
        }
    }
}

/// Parses HTTP dates in the preferred IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`.
enum HTTPDate {
    static func parse(_ text: String) -> Timestamp? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: parts[2]) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return Timestamp(
            year: year,
            month: monthIndex + 1,
            day: day,
            hour: clock[0],
            minute: clock[1],
            second: clock[2]
        )
    }
}

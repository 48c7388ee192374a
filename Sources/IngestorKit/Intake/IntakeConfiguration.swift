public import IncidentAPI

/// `intake.*`: the webhook intake, `POST /v1/ingest/{source}`, which lands request bodies on Kafka.
public struct IntakeConfiguration: Sendable {
    /// How a source's requests prove who sent them.
    public enum Authentication: Sendable {
        /// `auth: {bearer: {env: …}}`: `Authorization: Bearer <token>`.
        case bearer(Secret)
        /// `auth: {hmac: {…}}`: an HMAC of the body, in a header.
        case hmac(HMACCheck)
        /// `auth: {none: true}`: anyone who can reach the port (SNS sources rely on signatures instead).
        case none
    }

    /// An HMAC signature of the request body carried in a header (GitHub-style `sha256=<hex>`, or base64).
    public struct HMACCheck: Sendable {
        /// The shared secret.
        public var secret: Secret
        /// The header carrying the signature; default `X-Signature`.
        public var header: String = "X-Signature"
        /// `sha256` (default), `sha1` or `sha512`.
        public var algorithm: String = "sha256"
        /// Text before the signature in the header, e.g. `sha256=`; default none.
        public var prefix: String = ""
        /// `hex` (default) or `base64`.
        public var encoding: String = "hex"
    }

    /// `intake.sources[].sns`: AWS SNS subscriptions.
    public struct SNS: Sendable {
        /// Confirm `SubscriptionConfirmation` messages by fetching their `SubscribeURL`; off by default.
        public var confirmSubscriptions = false
        /// Verify every message's signature against the certificate at its `SigningCertURL`; on by default.
        public var verifySignatures = true
        /// A regular expression every `SigningCertURL` and `SubscribeURL` must match; default SNS's own HTTPS hosts.
        public var trustedURLPattern = #"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"#
        /// Topic ARNs accepted; empty accepts any.
        public var topicARNs: [String] = []
    }

    /// One entry of `intake.sources`.
    public struct Source: Sendable {
        /// `name`: the `{source}` of the path.
        public var name: String
        /// `topic`: where bodies are written.
        public var topic: String
        /// `format`: written as the `ingestor-format` header, so the worker uses that decoder; default none.
        public var format: String?
        /// `key_pointer`: a JSON pointer into the body whose value becomes the record key, so one sender's
        /// notifications for the same thing stay in order on one partition (e.g. `/groupKey` for Alertmanager);
        /// default none (no key).
        public var keyPointer: JSONPointer?
        /// `auth`.
        public var authentication: Authentication
        /// `sns`, for SNS subscriptions.
        public var sns: SNS?
    }

    /// `intake.host`; default `ops.host`.
    public var host: String?
    /// `intake.port`: the intake's own listener, never shared with the ops server (`ops.port`), so intake load
    /// cannot starve `/metrics` and `/readyz`; default 9465; 0 picks a free port.
    public var port = 9465
    /// `intake.max_body_bytes`: larger bodies are refused with 413; default `limits.max_payload_bytes`.
    public var maxBodyBytes: Int
    /// `intake.ack_timeout`: how long a request waits for Kafka's acknowledgement before 503; default 10s.
    public var ackTimeout: Duration = .seconds(10)
    /// `intake.retry_after`: the `Retry-After` of a 503; default 5s.
    public var retryAfter: Duration = .seconds(5)
    /// `intake.sources`.
    public var sources: [Source] = []
    /// `intake.header_timeout`, `intake.body_timeout`, `intake.idle_timeout`, `intake.max_connections` and
    /// `intake.max_connections_per_address`: what one client may hold of the intake.
    public var connections = ConnectionLimits()

    /// The source called `name`.
    public func source(_ name: String) -> Source? {
        sources.first { $0.name == name }
    }
}

extension IntakeConfiguration {
    /// What one connection, and one client address, may hold of the intake's listener.
    ///
    /// The timeouts follow Go's `net/http` server (`ReadHeaderTimeout`, `ReadTimeout`, `IdleTimeout`): each is a
    /// deadline for a whole phase, not a gap between reads, so a client that sends one byte every few seconds gains
    /// nothing by it. A connection past a deadline is closed without an answer.
    public struct ConnectionLimits: Sendable, Hashable {
        /// `intake.header_timeout`: the request line and every header must have arrived this long after the
        /// connection was accepted, or after the first byte of a request on a kept-alive connection; default 10s.
        public var headerTimeout: Duration = .seconds(10)
        /// `intake.body_timeout`: the whole body must have arrived this long after the headers (a deadline for the
        /// body, not a gap between reads: `intake.max_body_bytes` over it is the slowest rate a full-size body
        /// can be sent at, 35 KB/s with the defaults); default 30s.
        public var bodyTimeout: Duration = .seconds(30)
        /// `intake.idle_timeout`: how long a kept-alive connection may wait for its next request's first byte;
        /// default 60s.
        public var idleTimeout: Duration = .seconds(60)
        /// `intake.max_connections`: open connections at once, from all clients; a connection beyond it is closed
        /// as soon as it is accepted; default 1024. Leave room under the process's file-descriptor limit
        /// (`ulimit -n`) for Kafka, the incident API and the ops server.
        public var maxConnections = 1024
        /// `intake.max_connections_per_address`: open connections at once from one client IP address; a connection
        /// beyond it is closed as soon as it is accepted; default 128; 0 for no limit per address. Behind a proxy
        /// or load balancer every connection comes from its address: raise it to `intake.max_connections` there.
        public var maxConnectionsPerAddress = 128
        /// How long a connection refused before its body was read (401, 404, 413, …) is kept half-closed, reading
        /// and discarding what the client still sends, before it is closed: long enough for the client to read the
        /// answer instead of a reset, short enough to give nothing away. Not configurable; 2s, or
        /// `intake.body_timeout` when shorter.
        public var lingerTimeout: Duration { min(.seconds(2), bodyTimeout) }

        /// The defaults.
        public init() {}
    }
}

/// An HTTP request as adapters build it: pure data, executed by an ``HTTPClient``.
public struct HTTPRequest: Sendable, Hashable {
    /// The method, e.g. `POST`.
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header fields in order.
    public var headers: [HTTPHeader]
    /// The body; `nil` for none.
    public var body: [UInt8]?
    /// The whole request must finish within this time (connect, send, receive); default 10 s.
    public var timeout: Duration
    /// The response body is read up to this many bytes; a longer body fails the request; default 1 MiB.
    public var maxResponseBytes: Int

    /// Creates a request.
    public init(
        method: String,
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(10),
        maxResponseBytes: Int = 1 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// The value of the first header named `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// One header field.
public struct HTTPHeader: Sendable, Hashable {
    /// The field name.
    public var name: String
    /// The field value.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP response: status, headers and the (size-limited) body.
public struct HTTPResponse: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// Header fields of the final response, in order.
    public var headers: [HTTPHeader]
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Executes HTTP requests. The production implementation is ``CurlHTTPClient``; tests may substitute their own.
public protocol HTTPClient: Sendable {
    /// Sends `request` and returns the response, whatever its status.
    /// - Throws: ``HTTPTransportError`` when no response arrived (connect, timeout, TLS, size limit, cancelled).
    func execute(_ request: HTTPRequest) async throws -> HTTPResponse
}

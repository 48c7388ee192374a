public import Normalizer

/// A request as a fake vendor API sees it, independent of the HTTP server.
public struct FakeRequest: Sendable {
    /// The method, upper case.
    public var method: String
    /// The path without the query string.
    public var path: String
    /// Query parameters (the last value wins).
    public var query: [String: String]
    /// Header fields with lower-cased names.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// Creates a request.
    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) },
            uniquingKeysWith: { _, last in last }
        )
        self.body = body
    }

    /// The body parsed as a JSON object, or `nil`.
    var jsonObject: JSONObject? { (try? JSONParser().parse(body))?.object }

    /// The media type of `Content-Type`, lower-cased, without parameters (`application/json`), or `nil`.
    var mediaType: String? {
        headers["content-type"].map { value in
            String(value.split(separator: ";", maxSplits: 1).first ?? "").filter { $0 != " " }.lowercased()
        }
    }

    /// Whether the body is declared as one of `types` (media types, lower case).
    func declares(_ types: Set<String>) -> Bool { mediaType.map(types.contains) ?? false }
}

/// A fake vendor API's answer; an `Error` too, so a handler's checks can throw the refusal they make.
public struct FakeResponse: Sendable, Error {
    /// The status code.
    public var status: Int
    /// Header fields.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response.
    public static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> FakeResponse {
        var all = headers
        all["Content-Type"] = "application/json"
        return FakeResponse(status: status, headers: all, body: JSONWriter.bytes(value))
    }
}

/// One vendor's behaviour: request in, response out, against the shared ``FakeLedger``.
public protocol FakeVendorAPI: Sendable {
    /// The flavor name, e.g. `devrev`.
    var flavor: String { get }
    /// The ledger holding incidents and requests.
    var ledger: FakeLedger { get }
    /// Answers one API request (never an introspection request).
    func handle(_ request: FakeRequest) -> FakeResponse
    /// The vendor's error response for an injected server failure.
    func serverError() -> FakeResponse
    /// The vendor's error response for an injected rate limit, telling the client to wait `seconds`.
    func throttled(retryAfterSeconds seconds: Int) -> FakeResponse
}

/// A vendor fake `mock-api` can serve, registered with its target in the target catalog.
public protocol MockAPIFlavor: FakeVendorAPI {
    /// The flavor name `mock-api --flavor` takes, e.g. `devrev`.
    static var flavorName: String { get }
    /// What `mock-api --help` tells about this flavor: the credentials clients present and the fake tenant.
    static var mockHelp: String { get }
    /// The real-world behaviours `mock-api --variant` can switch on, by name.
    static var variantNames: [String] { get }
    /// The fake `mock-api` serves: clients present `secret` (a token, key or password, as the flavor's help says).
    /// - Throws: ``FakeSetupError`` for a variant the flavor does not have.
    static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> Self
}

extension MockAPIFlavor {
    public var flavor: String { Self.flavorName }
}

/// A fake that cannot be set up as asked.
public struct FakeSetupError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var description: String

    /// Creates an error.
    public init(_ description: String) {
        self.description = description
    }

    /// Refuses any variant, for a flavor that has none.
    public static func noVariants(_ names: [String], of flavor: String) throws(FakeSetupError) {
        if let name = names.first { throw FakeSetupError("\(flavor) has no variants, so not \(name)") }
    }

    /// The variants named in `names`, or the error naming the unknown one.
    public static func variants<Variant: RawRepresentable & CaseIterable & Hashable>(
        _ names: [String],
        of flavor: String
    ) throws(FakeSetupError) -> Set<Variant> where Variant.RawValue == String {
        var found: Set<Variant> = []
        for name in names {
            guard let variant = Variant(rawValue: name) else {
                let known = Variant.allCases.map(\.rawValue)
                throw FakeSetupError("\(flavor) has no variant \(name); it has \(known.joined(separator: ", "))")
            }
            found.insert(variant)
        }
        return found
    }
}

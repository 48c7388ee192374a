// MARK: - FakeMotadataAPI + MockAPIFlavor

extension FakeMotadataAPI: MockAPIFlavor {
    public static let flavorName = "motadata"

    public static var mockHelp: String {
        "the incident API of Motadata's \"Update an Incident\" page (/api/v1/incident). Get a bearer token with the "
            + "password grant at /api/oauth/token: client ingestor-client / client-secret, user "
            + "ingestor@example.com with the token as password. --variant request-api adds ServiceOps 8.x's "
            + "/api/v1/request, which also takes Authorization: Apikey <token>. The only known requester is "
            + "ingestor@example.com."
    }

    public static var variantNames: [String] { Variant.allCases.map(\.rawValue) }

    public static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> FakeMotadataAPI {
        FakeMotadataAPI(
            apiKey: secret,
            password: secret,
            variants: try FakeSetupError.variants(variants, of: flavorName)
        )
    }
}

// MARK: - FakeOneTrustAPI + MockAPIFlavor

extension FakeOneTrustAPI: MockAPIFlavor {
    public static let flavorName = "onetrust"

    public static var mockHelp: String {
        "OAuth2 client credentials at /api/access/v1/oauth/token (multipart form) with client ingestor and the "
            + "token as its secret. Organization \(orgGroupID); incident types \(incidentTypes.joined(separator: ", ")); "
            + "workflow \(stages.joined(separator: " → ")); attributes Severity (Critical…Info) and Ticket Reference."
    }

    public static let variantNames: [String] = []

    public static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> FakeOneTrustAPI {
        try FakeSetupError.noVariants(variants, of: flavorName)
        return FakeOneTrustAPI(clientSecret: secret)
    }
}

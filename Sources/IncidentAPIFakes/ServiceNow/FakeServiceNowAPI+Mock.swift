// MARK: - FakeServiceNowAPI + MockAPIFlavor

extension FakeServiceNowAPI: MockAPIFlavor {
    public static let flavorName = "servicenow"

    public static var mockHelp: String {
        "HTTP Basic as user ingestor with the secret as password, or OAuth at /oauth_token.do (url-encoded form; "
            + "grant_type password or client_credentials) with client ingestor-client and the secret as both client "
            + "secret and password. Resolving needs close_code and close_notes (the default data policy)."
    }

    public static let variantNames: [String] = []

    public static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> FakeServiceNowAPI {
        try FakeSetupError.noVariants(variants, of: flavorName)
        return FakeServiceNowAPI(password: secret, clientSecret: secret)
    }
}

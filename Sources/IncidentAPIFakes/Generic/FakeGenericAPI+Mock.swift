// MARK: - FakeGenericAPI + MockAPIFlavor

extension FakeGenericAPI: MockAPIFlavor {
    public static let flavorName = "generic"

    public static var mockHelp: String {
        "a small REST API (POST /api/incidents, PATCH /api/incidents/{id}, POST /api/incidents/{id}/resolve and "
            + "/comments, GET /api/incidents?external_ref=) for the http target. Send Authorization: Bearer "
            + "<token>, or get one at /oauth/token with client credentials ingestor / client-secret."
    }

    public static let variantNames: [String] = []

    public static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> FakeGenericAPI {
        try FakeSetupError.noVariants(variants, of: flavorName)
        return FakeGenericAPI(token: secret)
    }
}

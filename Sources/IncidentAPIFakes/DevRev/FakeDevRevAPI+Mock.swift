// MARK: - FakeDevRevAPI + MockAPIFlavor

extension FakeDevRevAPI: MockAPIFlavor {
    public static let flavorName = "devrev"

    public static var mockHelp: String {
        "send Authorization: Bearer <token>. Stage DONs of the fake tenant: triage \(stages["triage"]!), "
            + "resolved \(stages["resolved"]!)."
    }

    public static let variantNames: [String] = []

    public static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> FakeDevRevAPI {
        try FakeSetupError.noVariants(variants, of: flavorName)
        return FakeDevRevAPI(token: secret)
    }
}

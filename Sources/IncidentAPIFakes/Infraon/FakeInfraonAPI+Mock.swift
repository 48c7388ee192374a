// MARK: - FakeInfraonAPI + MockAPIFlavor

extension FakeInfraonAPI: MockAPIFlavor {
    public static let flavorName = "infraon"

    public static var mockHelp: String {
        "send Authorization: <token> (the bare key, as Infraon's endpoint pages show it), or log in at "
            + "/ux/api-token-auth/ as ingestor with the token as password and send the returned token bare. Creates "
            + "answer 201 with no body and incidents are flat documents, as Infraon's API guide shows them; the "
            + "variants switch on what Fortinet's connector shows real tenants doing. Requester noc@example.com."
    }

    public static var variantNames: [String] { Variant.allCases.map(\.rawValue) }

    public static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> FakeInfraonAPI {
        FakeInfraonAPI(
            apiKey: secret,
            password: secret,
            variants: try FakeSetupError.variants(variants, of: flavorName)
        )
    }
}

// MARK: - FakeSymantecAPI + MockAPIFlavor

extension FakeSymantecAPI: MockAPIFlavor {
    public static let flavorName = "symantec"

    public static var mockHelp: String {
        "under /ServiceDeskApi; log in at /ServiceDeskApi/api/authorization/token as svc-ingestor with the token as "
            + "password. Affected user noc@example.com; close codes \(closeCodes.joined(separator: ", "))."
    }

    public static var variantNames: [String] { Variant.allCases.map(\.rawValue) }

    public static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> FakeSymantecAPI {
        FakeSymantecAPI(password: secret, variants: try FakeSetupError.variants(variants, of: flavorName))
    }
}

// MARK: - FakePagerDutyAPI + MockAPIFlavor

extension FakePagerDutyAPI: MockAPIFlavor {
    public static let flavorName = "pagerduty"

    public static var mockHelp: String {
        "POST /v2/enqueue with the secret as routing_key in the body (no Authorization header). Triggers with the "
            + "same dedup_key fold into the open alert; acknowledge and resolve act on it."
    }

    public static let variantNames: [String] = []

    public static func mock(secret: String, variants: [String]) throws(FakeSetupError) -> FakePagerDutyAPI {
        try FakeSetupError.noVariants(variants, of: flavorName)
        return FakePagerDutyAPI(routingKey: secret)
    }
}

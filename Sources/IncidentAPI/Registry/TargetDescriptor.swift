package import Logging

/// A target's settings as its `target.<kind>` section describes them: the Swift type mirrors the section key for
/// key, and its property defaults are the only defaults (the reader starts from them).
package protocol TargetSettings: Sendable {
    /// The adapter's name in metrics, logs and dead letters (the kind, or `target.http.name`).
    var targetName: String { get }
    /// Reads `target.<kind>`, recording every problem on `reader`.
    /// - Returns: the settings, or `nil` when a problem makes them unusable.
    static func read(_ reader: any ConfigurationReader) -> Self?
}

/// An adapter the registry can build from its settings.
package protocol RegisteredTarget: IncidentTarget {
    /// Its settings.
    associatedtype Settings: TargetSettings
    /// Creates the adapter.
    init(configuration: Settings, client: any HTTPClient, logger: Logger)
}

/// Everything ingestor needs to know of one target kind: its name in the configuration file and in
/// `mock-api --flavor`, its title and document for the README, its rate-limit defaults, how its section is read and
/// how its adapter is made. Each adapter folder holds its own descriptor; one list registers them all.
package struct TargetDescriptor: Sendable {
    /// `target.kind` and the name of its section, e.g. `infraon`.
    package let kind: String
    /// The product, e.g. `Infraon Infinity`.
    package let title: String
    /// The vendor document the adapter follows, as the README names it.
    package let document: String
    /// What the adapter does for each operation, one line, for the README's table.
    package let operations: String
    /// `target.rate_limit.per_second`'s default: calls per second.
    package let ratePerSecond: Double
    /// `target.rate_limit.burst`'s default.
    package let burst: Int
    /// Reads `target.<kind>` into a target ready to be made.
    package let read: @Sendable (any ConfigurationReader) -> ConfiguredTarget?

    /// Describes `target`.
    /// - Parameters:
    ///   - ratePerSecond, burst: the rate limit's defaults; a steady 20 a second with bursts of 40 unless the
    ///     vendor documents its own limit.
    package init<Target: RegisteredTarget>(
        _ target: Target.Type,
        kind: String,
        title: String,
        document: String,
        operations: String,
        ratePerSecond: Double = 20,
        burst: Int = 40
    ) {
        self.kind = kind
        self.title = title
        self.document = document
        self.operations = operations
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        read = { reader in
            Target.Settings.read(reader).map { settings in
                ConfiguredTarget(kind: kind, settings: settings) { client, logger in
                    Target(configuration: settings, client: client, logger: logger)
                }
            }
        }
    }
}

/// A target read from the configuration: its settings, and how to make its adapter.
package struct ConfiguredTarget: Sendable {
    /// `target.kind`.
    package let kind: String
    /// The settings, as their adapter's own type (`settings as? InfraonConfiguration`).
    package let settings: any TargetSettings
    private let make: @Sendable (any HTTPClient, Logger) -> any IncidentTarget

    init(
        kind: String,
        settings: any TargetSettings,
        make: @escaping @Sendable (any HTTPClient, Logger) -> any IncidentTarget
    ) {
        self.kind = kind
        self.settings = settings
        self.make = make
    }

    /// The adapter's name in metrics, logs and dead letters.
    package var name: String { settings.targetName }

    /// Makes the adapter.
    package func makeTarget(client: any HTTPClient, logger: Logger) -> any IncidentTarget {
        make(client, logger)
    }
}

// swift-tools-version:6.1
import PackageDescription

/// Settings every target of ours shares: Swift 6 mode plus the upcoming features STYLE.md asks for.
/// `STRICT_WARNINGS=1` (set by scripts/test and CI) turns our own warnings into errors; dependencies are unaffected.
let strictSettings: [SwiftSetting] =
    [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ] + (Context.environment["STRICT_WARNINGS"] == "1" ? [.unsafeFlags(["-warnings-as-errors"])] : [])

let package = Package(
    name: "ingestor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ingestor", targets: ["ingestor"]),
        .executable(name: "ingestor-bench", targets: ["ingestor-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // HMAC checks and SNS signatures (RSA, X.509) of the webhook intake.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // MARK: C boundaries
        .systemLibrary(
            name: "CKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),

        // MARK: Libraries
        .target(
            name: "KafkaIO",
            dependencies: [
                "CKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Normalizer",
            swiftSettings: strictSettings
        ),
        .target(
            name: "IncidentAPI",
            dependencies: [
                "Normalizer",
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Pipeline",
            dependencies: [
                "Normalizer",
                "IncidentAPI",
                "KafkaIO",
                .product(name: "DequeModule", package: "swift-collections"),
                // SHA-256 of an original payload a dead letter had to truncate.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "IncidentAPIFakes",
            dependencies: [
                "Normalizer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "IngestorKit",
            dependencies: [
                "KafkaIO",
                "Normalizer",
                "IncidentAPI",
                "Pipeline",
                "IncidentAPIFakes",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The intake's own HTTP/1 channel (connection limits and deadlines) and the listeners' own threads.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Test support (never linked into the product)
        .target(
            name: "PipelineTestSupport",
            dependencies: ["Pipeline", "Normalizer", "IncidentAPI"],
            path: "Tests/PipelineTestSupport",
            swiftSettings: strictSettings
        ),

        // MARK: Executable
        .executableTarget(
            name: "ingestor",
            dependencies: [
                "IngestorKit",
                "KafkaIO",
                "IncidentAPI",
                "IncidentAPIFakes",
                "Normalizer",
                "Pipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Benchmarks (figures in BENCHMARKS.md)
        .executableTarget(
            name: "ingestor-bench",
            dependencies: [
                "IngestorKit", "KafkaIO", "Normalizer", "Pipeline", "IncidentAPI", "IncidentAPIFakes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/ingestor-bench",
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "NormalizerTests",
            dependencies: ["Normalizer"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaIOTests",
            dependencies: ["KafkaIO", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IncidentAPITests",
            dependencies: [
                "IncidentAPI", "IncidentAPIFakes", "Normalizer", .product(name: "Logging", package: "swift-log"),
            ],
            // Read from the source tree by GoldenRequestTests, which can rewrite them.
            exclude: ["Goldens"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "Pipeline", "Normalizer", "IncidentAPI", "PipelineTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IngestorTests",
            dependencies: [
                "IngestorKit", "KafkaIO", "Pipeline", "IncidentAPI", "IncidentAPIFakes", "Normalizer",
                "PipelineTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                // Raw sockets from chosen loopback addresses for the slow-client and flood tests.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)

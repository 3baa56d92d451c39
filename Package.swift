// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "mcpkeeper",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mcpkeeper", targets: ["mcpkeeper"]),
        .library(name: "KeeperCore", targets: ["KeeperCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // Only the OTLP/HTTP exporter: the default OTLPGRPC trait would build gRPC Swift as well.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .executableTarget(
            name: "mcpkeeper",
            dependencies: [
                "KeeperCore",
                "NotionSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            plugins: ["VersionStamp"]
        ),
        // Names the git commit in `mcpkeeper --version`.
        .plugin(name: "VersionStamp", capability: .buildTool()),
        .target(name: "CKeeperSystem"),
        .target(
            name: "KeeperCore",
            dependencies: [
                "CKeeperSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),
        .target(
            name: "NotionSandbox",
            dependencies: [
                "KeeperCore",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "KeeperCoreTests",
            dependencies: ["KeeperCore", "NotionSandbox"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "KeeperCore",
                "mcpkeeper",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)

// swift-tools-version:6.2
import PackageDescription

/// One set of settings for every target, tests included.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The dashboard's files (Sources/TaskwireHTTP/Resources/dashboard), served by DashboardController.
let dashboardFiles = [
    "index.html", "dashboard.css", "dashboard.js", "taskwire-client.js", "api.js", "chart.js", "dom.js",
    "panels.js", "submit-form.js", "task-details.js", "task-table.js",
]

let package = Package(
    name: "taskwire",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "taskwire", targets: ["TaskwireCLI"]),
        // TaskwireProtocol comes along: its JSONValue and StreamPosition appear in the client's API.
        .library(name: "TaskwireClient", targets: ["TaskwireClient", "TaskwireProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The wire protocol as Swift types: no I/O.
        .target(
            name: "TaskwireProtocol",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The transport-independent hub: connections, subscriptions, fan-out, heartbeat, metrics.
        .target(
            name: "TaskwireHub",
            dependencies: [
                "TaskwireProtocol",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The task queue domain: records, transitions, the store protocol, events.
        .target(
            name: "TaskwireQueue",
            dependencies: [
                "TaskwireHub",
                "TaskwireProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SQLite task store (GRDB, the system libsqlite3): one machine, durable, WAL.
        .target(
            name: "TaskwireSQLite",
            dependencies: [
                "TaskwireHub",
                "TaskwireQueue",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Credentials: JWT verification (HS256, RS256, ES256) into the hub's access rights.
        .target(
            name: "TaskwireAuth",
            dependencies: [
                "TaskwireHub",
                "TaskwireProtocol",
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL task store (postgres-nio): several nodes on one database.
        .target(
            name: "TaskwirePostgres",
            dependencies: [
                "TaskwireHub",
                "TaskwireProtocol",
                "TaskwireQueue",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The WebSocket transport: a lean synchronous SwiftNIO pipeline behind Hummingbird's HTTP server.
        .target(
            name: "TaskwireWebSocket",
            dependencies: [
                "TaskwireHub",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP API: tasks, workers, queue status, notifications, admin, publish, metrics, health, OpenAPI.
        .target(
            name: "TaskwireHTTP",
            dependencies: [
                "TaskwireHub",
                "TaskwireProtocol",
                "TaskwireQueue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The OpenAPI document and the dashboard, compiled into the binary: no Foundation, no
            // resource bundle to ship, found wherever the binary runs.
            resources: [.embedInCode("Resources/openapi.json")] + dashboardFiles.map { .embedInCode("Resources/dashboard/\($0)") },
            swiftSettings: swiftSettings
        ),
        // Composition root: configuration, presets, application.
        .target(
            name: "TaskwireServer",
            dependencies: [
                "TaskwireAuth",
                "TaskwireHTTP",
                "TaskwireHub",
                "TaskwirePostgres",
                "TaskwireQueue",
                "TaskwireSQLite",
                "TaskwireWebSocket",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Swift client: the WebSocket protocol (plain SwiftNIO) and the HTTP API (AsyncHTTPClient).
        .target(
            name: "TaskwireClient",
            dependencies: [
                "TaskwireProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TaskwireCLI",
            dependencies: [
                "TaskwireAuth",
                "TaskwireClient",
                "TaskwireHub",
                "TaskwireProtocol",
                "TaskwireQueue",
                "TaskwireServer",
                "TaskwireSQLite",
                "TaskwireWebSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: an in-memory transport and a manual clock for driving the hub without sockets.
        .target(
            name: "TaskwireTesting",
            dependencies: ["TaskwireHub"],
            swiftSettings: swiftSettings
        ),
        // Test support: the one conformance suite every TaskStore backend must pass.
        .target(
            name: "TaskwireStoreTesting",
            dependencies: [
                "TaskwireHub",
                "TaskwireQueue",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskwireAuthTests",
            dependencies: [
                "TaskwireAuth",
                "TaskwireHub",
                "TaskwireProtocol",
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskwireProtocolTests",
            dependencies: [
                "TaskwireTesting",
                "TaskwireProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskwireWebSocketTests",
            dependencies: [
                "TaskwireHub",
                "TaskwireProtocol",
                "TaskwireWebSocket",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskwireHubTests",
            dependencies: [
                "TaskwireHub",
                "TaskwireProtocol",
                "TaskwireTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskwireServerTests",
            dependencies: [
                "TaskwireHTTP",
                "TaskwireHub",
                "TaskwireProtocol",
                "TaskwireQueue",
                "TaskwireServer",
                "TaskwireTesting",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskwireQueueTests",
            dependencies: [
                "TaskwireHub",
                "TaskwireProtocol",
                "TaskwireQueue",
                "TaskwireStoreTesting",
                "TaskwireTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskwireClientTests",
            dependencies: [
                "TaskwireClient",
                "TaskwireHub",
                "TaskwireProtocol",
                "TaskwireQueue",
                "TaskwireServer",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskwireSQLiteTests",
            dependencies: [
                "TaskwireTesting",
                "TaskwireHub",
                "TaskwireQueue",
                "TaskwireSQLite",
                "TaskwireStoreTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
            .testTarget(
            name: "TaskwirePostgresTests",
            dependencies: [
                "TaskwireHub",
                "TaskwirePostgres",
                "TaskwireProtocol",
                "TaskwireQueue",
                "TaskwireStoreTesting",
                "TaskwireTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

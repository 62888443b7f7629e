import ArgumentParser
import Hummingbird
import Logging
import Prometheus
import TaskwireServer

/// `taskwire serve`: runs the server until SIGTERM or SIGINT, then shuts down gracefully.
///
/// Every setting comes from, in rising precedence, the preset, a JSON config file (`--config`
/// or `TASKWIRE_CONFIG`), `TASKWIRE_*` environment variables and these flags.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Taskwire server.",
        discussion: """
            Settings come from, lowest precedence first: the preset, a JSON config file (--config or \
            TASKWIRE_CONFIG), TASKWIRE_* environment variables, then these flags. Durations are written \
            500ms, 30s, 2m, 1h or as seconds; sizes as bytes or 64KiB, 1MiB, 1GiB.
            """
    )

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A JSON config file, keys nested by scope: {\"hub\":{\"max_connections\":500}}. [env TASKWIRE_CONFIG]",
            valueName: "path"
        )
    )
    var configFile: String?

    @Option(help: .key(.preset, valueName: "name"))
    var preset: String?

    @Option(help: .key(.httpHost, valueName: "address"))
    var host: String?

    @Option(help: .key(.httpPort, valueName: "port"))
    var port: Int?

    @Option(help: .key(.httpMaxBodySize, valueName: "size"))
    var maxBodySize: String?

    @Option(help: .key(.hubMaxConnections, valueName: "n"))
    var maxConnections: Int?

    @Option(help: .key(.hubPingInterval, valueName: "duration"))
    var pingInterval: String?

    @Option(help: .key(.hubPongTimeout, valueName: "duration"))
    var pongTimeout: String?

    @Option(help: .key(.hubMaxMessageSize, valueName: "size"))
    var maxMessageSize: String?

    @Flag(inversion: .prefixedNo, help: .key(.hubEnableCompression))
    var compression: Bool?

    @Flag(inversion: .prefixedNo, help: .key(.hubEnableHeartbeat))
    var heartbeat: Bool?

    @Option(help: .key(.hubCleanupInterval, valueName: "duration"))
    var cleanupInterval: String?

    @Option(help: .key(.hubOutboundQueueMessages, valueName: "n"))
    var outboundQueueMessages: Int?

    @Option(help: .key(.hubOutboundQueueBytes, valueName: "size"))
    var outboundQueueBytes: String?

    @Option(help: .key(.hubMaxBadMessages, valueName: "n"))
    var maxBadMessages: Int?

    @Option(help: .key(.hubMaxSubscriptionsPerConnection, valueName: "n"))
    var maxSubscriptions: Int?

    @Option(help: .key(.hubCloseTimeout, valueName: "duration"))
    var closeTimeout: String?

    @Option(help: .key(.hubShutdownGracePeriod, valueName: "duration"))
    var shutdownGracePeriod: String?

    @Option(help: .key(.hubRateLimit, valueName: "per-second|off"))
    var rateLimit: String?

    @Option(help: .key(.hubRateLimitBurst, valueName: "n"))
    var rateLimitBurst: Int?

    @Option(help: .key(.hubRateLimitMaxViolations, valueName: "n"))
    var rateLimitMaxViolations: Int?

    @Option(help: .key(.hubMaxConnectionsPerUser, valueName: "n|unlimited"))
    var maxConnectionsPerUser: String?

    @Option(help: .key(.hubHistorySize, valueName: "n"))
    var historySize: Int?

    @Option(name: .customLong("history-ttl"), help: .key(.hubHistoryTTL, valueName: "duration"))
    var historyTTL: String?

    @Option(name: .customLong("database"), help: .key(.storeDatabase, valueName: "path"))
    var database: String?

    @Option(help: .key(.queueMaxPayloadSize, valueName: "size"))
    var maxPayloadSize: String?

    @Option(help: .key(.queueLeaseCheckInterval, valueName: "duration"))
    var leaseCheckInterval: String?

    @Option(help: .key(.queueStatusInterval, valueName: "duration"))
    var statusInterval: String?

    @Option(help: .key(.logLevel, valueName: "level"))
    var logLevel: String?

    @Flag(help: .key(.authSecure))
    var secure = false

    @Option(name: .customLong("jwt-secret"), help: .key(.authJWTSecret, valueName: "secret"))
    var jwtSecret: String?

    @Option(name: .customLong("jwt-public-key"), help: .key(.authJWTPublicKeys, valueName: "path"))
    var jwtPublicKeys: [String] = []

    @Option(help: .key(.authAllowedOrigins, valueName: "origins"))
    var allowedOrigins: String?

    @Option(name: .customLong("tls-cert"), help: .key(.httpTLSCert, valueName: "path"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: .key(.httpTLSKey, valueName: "path"))
    var tlsKey: String?

    /// The flags given, by configuration key.
    var flags: [String: String] {
        let given: [(TaskwireConfiguration.Key, String?)] = [
            (.preset, preset),
            (.httpHost, host),
            (.httpPort, port.map(String.init)),
            (.httpMaxBodySize, maxBodySize),
            (.hubMaxConnections, maxConnections.map(String.init)),
            (.hubPingInterval, pingInterval),
            (.hubPongTimeout, pongTimeout),
            (.hubMaxMessageSize, maxMessageSize),
            (.hubEnableCompression, compression.map(String.init)),
            (.hubEnableHeartbeat, heartbeat.map(String.init)),
            (.hubCleanupInterval, cleanupInterval),
            (.hubOutboundQueueMessages, outboundQueueMessages.map(String.init)),
            (.hubOutboundQueueBytes, outboundQueueBytes),
            (.hubMaxBadMessages, maxBadMessages.map(String.init)),
            (.hubMaxSubscriptionsPerConnection, maxSubscriptions.map(String.init)),
            (.hubCloseTimeout, closeTimeout),
            (.hubShutdownGracePeriod, shutdownGracePeriod),
            (.hubRateLimit, rateLimit),
            (.hubRateLimitBurst, rateLimitBurst.map(String.init)),
            (.hubRateLimitMaxViolations, rateLimitMaxViolations.map(String.init)),
            (.hubMaxConnectionsPerUser, maxConnectionsPerUser),
            (.hubHistorySize, historySize.map(String.init)),
            (.hubHistoryTTL, historyTTL),
            (.storeDatabase, database),
            (.queueMaxPayloadSize, maxPayloadSize),
            (.queueLeaseCheckInterval, leaseCheckInterval),
            (.queueStatusInterval, statusInterval),
            (.logLevel, logLevel),
            (.authSecure, secure ? "true" : nil),
            (.authJWTSecret, jwtSecret),
            (.authJWTPublicKeys, jwtPublicKeys.isEmpty ? nil : jwtPublicKeys.joined(separator: ",")),
            (.authAllowedOrigins, allowedOrigins),
            (.httpTLSCert, tlsCert),
            (.httpTLSKey, tlsKey),
        ]
        var flags: [String: String] = [:]
        for case let (key, value?) in given { flags[key.name] = value }
        return flags
    }

    func run() async throws {
        let configuration = try await TaskwireConfiguration.load(flags: flags, configFile: configFile)
        Bootstrap.logging(level: configuration.logLevel)
        let registry = PrometheusCollectorRegistry()
        Bootstrap.metrics(registry)
        let logger = Logger(label: "taskwire")
        let app = try buildApplication(configuration: configuration, logger: logger, registry: registry)
        try await app.runService()
    }
}

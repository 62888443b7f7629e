public import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
import NIOPosix
public import Prometheus
import TaskwireHub
public import TaskwireHTTP
import TaskwireWebSocket

/// Builds the Taskwire server: the hub (one shard per event loop), the WebSocket transport on
/// `/ws`, the HTTP API, `/metrics`, and the hub's background service.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))  // executables only
/// let app = buildApplication(configuration: .standard, logger: logger, registry: registry)
/// try await app.runService()
/// ```
///
/// The hub's metrics go to `registry` through a factory passed explicitly, so tests need no
/// global bootstrap; `/metrics` serves that registry. On graceful shutdown (SIGTERM, SIGINT)
/// the listener stops, then the hub closes every client with 1001 and waits up to
/// `shutdown_grace_period` for them to go; `runService()` then returns.
///
/// - Parameters:
///   - configuration: hub limits, HTTP listener, log level (which is applied to `logger`).
///   - logger: the server's logger.
///   - registry: the Prometheus registry the hub's metrics go to and `/metrics` serves.
///   - readinessChecks: what `/readyz` checks (the store, the backplane, …).
public func buildApplication(
    configuration: TaskwireConfiguration,
    logger: Logger,
    registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    readinessChecks: [ReadinessCheck] = []
) -> some ApplicationProtocol {
    makeApplication(configuration: configuration, logger: logger, registry: registry, readinessChecks: readinessChecks).application
}

/// ``buildApplication(configuration:logger:registry:readinessChecks:)``, also returning the hub (for tests).
func makeApplication(
    configuration: TaskwireConfiguration,
    logger: Logger,
    registry: PrometheusCollectorRegistry,
    readinessChecks: [ReadinessCheck]
) -> (application: Application<RouterResponder<TaskwireRequestContext>>, hub: Hub) {
    let logger = {
        var logger = logger
        logger.logLevel = configuration.logLevel
        return logger
    }()
    let group = MultiThreadedEventLoopGroup.singleton
    let hub = Hub(
        configuration: configuration.hub,
        executors: EventLoopExecutor.executors(for: group),
        framer: WebSocketFramer(),
        logger: logger,
        metricsFactory: PrometheusMetricsFactory(registry: registry)
    )
    let router = Router(context: TaskwireRequestContext.self, options: .autoGenerateHeadEndpoints)
    TaskwireAPI(
        hub: hub,
        registry: registry,
        readinessChecks: readinessChecks,
        maxBodySize: configuration.http.maxBodySize
    ).addRoutes(to: router)
    var application = Application(
        router: router,
        server: .taskwire(hub: hub),
        configuration: .init(
            address: .hostname(configuration.http.host, port: configuration.http.port),
            serverName: nil
        ),
        services: [HubService(hub: hub)],
        eventLoopGroupProvider: .shared(group),
        logger: logger
    )
    application.beforeServerStarts {
        logger.info("taskwire starting", metadata: configuration.startupMetadata)
    }
    return (application, hub)
}

extension TaskwireConfiguration {
    /// The preset, the address and the effective limits, for the start-up log line.
    var startupMetadata: Logger.Metadata {
        [
            "tw.preset": "\(preset.name)",
            "tw.http.address": "\(http.host):\(http.port)",
            "tw.http.max_body_size": "\(ConfigText.format(bytes: http.maxBodySize))",
            "tw.hub.max_connections": "\(hub.maxConnections)",
            "tw.hub.ping_interval": "\(ConfigText.format(hub.pingInterval))",
            "tw.hub.pong_timeout": "\(ConfigText.format(hub.pongTimeout))",
            "tw.hub.max_message_size": "\(ConfigText.format(bytes: hub.maxMessageSize))",
            "tw.hub.enable_compression": "\(hub.enableCompression)",
            "tw.hub.enable_heartbeat": "\(hub.enableHeartbeat)",
            "tw.hub.cleanup_interval": "\(ConfigText.format(hub.cleanupInterval))",
            "tw.hub.outbound_queue_messages": "\(hub.outboundQueueMessages)",
            "tw.hub.outbound_queue_bytes": "\(ConfigText.format(bytes: hub.outboundQueueBytes))",
            "tw.hub.max_bad_messages": "\(hub.maxBadMessages)",
            "tw.hub.max_subscriptions_per_connection": "\(hub.maxSubscriptionsPerConnection)",
            "tw.hub.close_timeout": "\(ConfigText.format(hub.closeTimeout))",
            "tw.hub.shutdown_grace_period": "\(ConfigText.format(hub.shutdownGracePeriod))",
            "tw.log.level": "\(logLevel)",
        ]
    }
}

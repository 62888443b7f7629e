public import Hummingbird
import HummingbirdCore
public import Logging
public import NIOCore
import NIOPosix
import ServiceLifecycle
public import Prometheus
public import TaskwireHTTP
import TaskwireHub
public import TaskwireQueue
import TaskwireAuth
import TaskwirePostgres
import TaskwireWebSocket

/// Builds the Taskwire server: the hub (one shard per event loop), the WebSocket transport on
/// `/ws`, the task queue over its store, the HTTP API, `/metrics`, and the background services
/// (the hub's, the `queue_status_changed` publisher, the lease reaper). On a PostgreSQL store the
/// node joins the cluster of that database (``PostgresCluster``), and `/readyz` also checks that
/// it follows the cluster's event log.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))  // executables only
/// let app = try buildApplication(configuration: .standard, logger: logger, registry: registry)
/// try await app.runService()
/// ```
///
/// The store is migrated before the server accepts connections, and `/readyz` checks it. The
/// hub's metrics go to `registry` through a factory passed explicitly, so tests need no global
/// bootstrap; `/metrics` serves that registry. On graceful shutdown (SIGTERM, SIGINT) the
/// listener stops, then the hub closes every client with 1001 and waits up to
/// `shutdown_grace_period` for them to go; `runService()` then returns.
///
/// - Parameters:
///   - configuration: hub limits, HTTP listener, store, queue, log level (which is applied to `logger`).
///   - logger: the server's logger.
///   - registry: the Prometheus registry the hub's metrics go to and `/metrics` serves.
///   - readinessChecks: what `/readyz` checks besides the store (the backplane, …).
///   - store: the task store to use instead of the one `configuration.store` names (for tests).
///   - onServerRunning: called with the listening channel once the server accepts connections
///     (its `localAddress` has the port actually bound, for a configured port 0).
/// - Throws: ``TaskwireConfigurationError`` when the store cannot be opened or is not supported.
public func buildApplication(
    configuration: TaskwireConfiguration,
    logger: Logger,
    registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    readinessChecks: [ReadinessCheck] = [],
    store: (any TaskStore)? = nil,
    onServerRunning: (@Sendable (any Channel) async -> Void)? = nil
) throws -> some ApplicationProtocol {
    try makeApplication(
        configuration: configuration,
        logger: logger,
        registry: registry,
        readinessChecks: readinessChecks,
        store: store,
        onServerRunning: onServerRunning
    ).application
}

/// What ``makeApplication(configuration:logger:registry:readinessChecks:store:)`` builds.
struct BuiltApplication {
    var application: TaskwireApplication<RouterResponder<TaskwireRequestContext>>
    var hub: Hub
    var tasks: TaskService
}

/// ``buildApplication(configuration:logger:registry:readinessChecks:store:)``, also returning the hub
/// and the task service (for tests).
func makeApplication(
    configuration: TaskwireConfiguration,
    logger: Logger,
    registry: PrometheusCollectorRegistry,
    readinessChecks: [ReadinessCheck],
    store: (any TaskStore)?,
    onServerRunning: (@Sendable (any Channel) async -> Void)? = nil
) throws -> BuiltApplication {
    let logger = {
        var logger = logger
        logger.logLevel = configuration.logLevel
        return logger
    }()
    let store = try store ?? makeStore(configuration.store, logger: logger)
    let group = MultiThreadedEventLoopGroup.singleton
    let hub = Hub(
        configuration: configuration.hub,
        executors: EventLoopExecutor.executors(for: group),
        framer: WebSocketFramer(),
        logger: logger,
        metricsFactory: PrometheusMetricsFactory(registry: registry)
    )
    let authenticator = try makeAuthenticator(configuration.auth)
    hub.authenticator = authenticator
    let tasks = TaskService(store: store, hub: hub, configuration: configuration.queue)
    // On PostgreSQL the node is one of a cluster: events go through the database (after the
    // task service, whose archive of task streams the cluster's replaces).
    let cluster = (store as? PostgresTaskStore).map { PostgresCluster(store: $0, hub: hub, logger: logger) }
    var checks = [ReadinessCheck(name: "store") { try await store.checkHealth() }]
    if let cluster { checks.append(ReadinessCheck(name: "backplane") { try cluster.checkReady() }) }
    let router = Router(context: TaskwireRequestContext.self, options: .autoGenerateHeadEndpoints)
    TaskwireAPI(
        hub: hub,
        registry: registry,
        readinessChecks: checks + readinessChecks,
        maxBodySize: configuration.http.maxBodySize,
        tasks: tasks,
        authenticator: authenticator
    ).addRoutes(to: router)
    let transport = WebSocketTransportConfiguration(allowedOrigins: configuration.auth.allowedOrigins.map(Set.init))
    let connections = try makeConnectionSetup(hub: hub, transport: transport, http: configuration.http)
    var application = Application(
        router: router,
        server: connections.builder,
        configuration: .init(
            address: .hostname(configuration.http.host, port: configuration.http.port),
            serverName: nil
        ),
        // The store's own service (a PostgreSQL pool) first: it starts first and stops last;
        // the cluster's next, as it uses the pool.
        services: [store as? any Service, cluster as (any Service)?].compactMap { $0 } + [
            HubService(hub: hub), tasks.statusPublisher, LeaseReaper(service: tasks, logger: logger),
        ],
        onServerRunning: onServerRunning ?? { _ in },
        eventLoopGroupProvider: .shared(group),
        logger: logger
    )
    application.beforeServerStarts {
        logger.info("taskwire starting", metadata: configuration.startupMetadata)
        if !configuration.auth.secure {
            logger.notice("anonymous access is allowed: every connection and API call without a token may do everything (turn it off with --secure)")
        }
        try await store.migrate()
        logger.debug("task store migrated")
        if let cluster {
            try await cluster.waitUntilFollowing()
            logger.info("following the cluster's event log", metadata: ["tw.store.database": "\(configuration.store.loggableDatabase)"])
        }
    }
    let listener = TaskwireListener.Configuration(host: configuration.http.host, port: configuration.http.port, tls: connections.tls)
    return BuiltApplication(
        application: TaskwireApplication(base: application, listener: listener) { responder in
            TaskwireChildChannel(hub: hub, responder: responder, configuration: transport, http1: .init())
        },
        hub: hub,
        tasks: tasks
    )
}

extension TaskwireConfiguration {
    /// The preset, the address, the store and the effective limits, for the start-up log line.
    package var startupMetadata: Logger.Metadata {
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
            "tw.hub.history_size": "\(hub.historySize)",
            "tw.hub.history_ttl": "\(ConfigText.format(hub.historyTTL))",
            "tw.store.database": "\(store.loggableDatabase)",
            "tw.queue.max_payload_size": "\(ConfigText.format(bytes: queue.maxPayloadSize))",
            "tw.queue.lease_check_interval": "\(ConfigText.format(queue.leaseCheckInterval))",
            "tw.queue.status_interval": "\(ConfigText.format(queue.statusInterval))",
            "tw.log.level": "\(logLevel)",
            "tw.auth.anonymous": "\(!auth.secure)",
            "tw.auth.algorithms": "\(auth.algorithmsDescription)",
            "tw.auth.allowed_origins": "\(auth.allowedOrigins?.joined(separator: ",") ?? "any")",
            "tw.http.tls": "\(http.tlsCertificate != nil)",
        ]
    }
}

/// The hub's configuration: the seed's `WebSocketConfig` and the bounds Taskwire adds to it.
///
/// Start from a preset and tweak it:
/// ```swift
/// var config = HubConfiguration.highPerformance
/// config.outboundQueueMessages = 512
/// ```
///
/// Every preset leaves the inbound rate limit off (`rateLimitMessagesPerSecond` nil) and the
/// connections per user unlimited (`maxConnectionsPerUser` nil). Recommended values when
/// turning them on: `standard` 50 messages/s with a burst of 100 and 10 violations a minute,
/// at most 10 connections per user; `highPerformance` 500/s, burst 1000, 50 violations, 100
/// per user; `lightweight` 10/s, burst 20, 5 violations, 5 per user.
public struct HubConfiguration: Sendable, Equatable {
    /// Most concurrent connections; past it upgrades are refused with 503.
    public var maxConnections: Int
    /// How often the server pings each client.
    public var pingInterval: Duration
    /// How long a client has to answer a ping before it is closed with 4002.
    public var pongTimeout: Duration
    /// Largest message accepted, in bytes, after decompression; larger ones close with 1009.
    public var maxMessageSize: Int
    /// Whether permessage-deflate is negotiated with clients that offer it.
    public var enableCompression: Bool
    /// Whether the heartbeat (ping and timeout) runs.
    public var enableHeartbeat: Bool
    /// How often disconnected clients are cleaned up.
    public var cleanupInterval: Duration
    /// Bound of each connection's outbound queue, in messages; past it the connection is closed with 4003.
    public var outboundQueueMessages: Int
    /// Bound of each connection's outbound queue, in bytes; past it the connection is closed with 4003.
    public var outboundQueueBytes: Int
    /// Errors a connection may cause in one minute before it is closed with 1008.
    public var maxBadMessages: Int
    /// Most subscriptions one connection may hold.
    public var maxSubscriptionsPerConnection: Int
    /// How long a closing connection may take to finish its close handshake before it is cut.
    public var closeTimeout: Duration
    /// How long a graceful shutdown waits for clients to go after telling them (close 1001).
    public var shutdownGracePeriod: Duration
    /// Most recent events kept per stream for recovery (`subscribe` with `since`).
    public var historySize: Int
    /// How long an event stays in its stream's history.
    public var historyTTL: Duration
    /// Sustained inbound messages per second allowed per connection (a token bucket refilled at
    /// this rate); nil turns the inbound rate limit off. A message over the limit is answered
    /// with `rate_limited` and not processed.
    public var rateLimitMessagesPerSecond: Double?
    /// Size of each connection's token bucket: how many messages may arrive at once.
    public var rateLimitBurst: Int
    /// Rate-limited messages a connection may send within one minute; past it the connection
    /// is closed with 4004.
    public var rateLimitMaxViolations: Int
    /// Most concurrent connections one user may hold; nil is unlimited. Anonymous connections
    /// are not counted.
    public var maxConnectionsPerUser: Int?

    public init(
        maxConnections: Int = 1000,
        pingInterval: Duration = .seconds(30),
        pongTimeout: Duration = .seconds(10),
        maxMessageSize: Int = 1024 * 1024,
        enableCompression: Bool = true,
        enableHeartbeat: Bool = true,
        cleanupInterval: Duration = .seconds(60),
        outboundQueueMessages: Int = 4096,
        outboundQueueBytes: Int = 16 * 1024 * 1024,
        maxBadMessages: Int = 10,
        maxSubscriptionsPerConnection: Int = 1000,
        closeTimeout: Duration = .seconds(5),
        shutdownGracePeriod: Duration = .seconds(5),
        historySize: Int = 1000,
        historyTTL: Duration = .seconds(300),
        rateLimitMessagesPerSecond: Double? = nil,
        rateLimitBurst: Int = 100,
        rateLimitMaxViolations: Int = 10,
        maxConnectionsPerUser: Int? = nil
    ) {
        self.maxConnections = maxConnections
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
        self.maxMessageSize = maxMessageSize
        self.enableCompression = enableCompression
        self.enableHeartbeat = enableHeartbeat
        self.cleanupInterval = cleanupInterval
        self.outboundQueueMessages = outboundQueueMessages
        self.outboundQueueBytes = outboundQueueBytes
        self.maxBadMessages = maxBadMessages
        self.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection
        self.closeTimeout = closeTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.historySize = historySize
        self.historyTTL = historyTTL
        self.rateLimitMessagesPerSecond = rateLimitMessagesPerSecond
        self.rateLimitBurst = rateLimitBurst
        self.rateLimitMaxViolations = rateLimitMaxViolations
        self.maxConnectionsPerUser = maxConnectionsPerUser
    }

    /// Balanced configuration for general use (the seed's standard preset).
    public static var standard: HubConfiguration { HubConfiguration() }

    /// For high-volume traffic (the seed's high-performance preset).
    public static var highPerformance: HubConfiguration {
        HubConfiguration(
            maxConnections: 10_000,
            pingInterval: .seconds(15),
            pongTimeout: .seconds(5),
            maxMessageSize: 4 * 1024 * 1024,
            enableCompression: true,
            enableHeartbeat: true,
            cleanupInterval: .seconds(30),
            outboundQueueMessages: 25_000,
            outboundQueueBytes: 64 * 1024 * 1024,
            maxSubscriptionsPerConnection: 10_000,
            historySize: 2000,
            historyTTL: .seconds(120)
        )
    }

    /// Minimal resource use for small deployments (the seed's lightweight preset).
    public static var lightweight: HubConfiguration {
        HubConfiguration(
            maxConnections: 100,
            pingInterval: .seconds(60),
            pongTimeout: .seconds(30),
            maxMessageSize: 64 * 1024,
            enableCompression: false,
            enableHeartbeat: true,
            cleanupInterval: .seconds(120),
            outboundQueueMessages: 1024,
            outboundQueueBytes: 4 * 1024 * 1024,
            maxSubscriptionsPerConnection: 100,
            historySize: 200,
            historyTTL: .seconds(60)
        )
    }
}

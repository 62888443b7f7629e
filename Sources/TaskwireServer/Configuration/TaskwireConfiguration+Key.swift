extension TaskwireConfiguration {
    /// A configuration key, as a JSON config file, the environment and `taskwire serve` spell it.
    ///
    /// Keys are scoped: `hub.*` (one per ``HubConfiguration`` field, the seed's names), `http.*`,
    /// `store.*`, `queue.*`, `log.*`, plus `preset`. In a JSON file a key is a path of nested objects
    /// (`{"hub":{"max_connections":500}}`); in the environment it is upper-cased, dots become
    /// underscores and `TASKWIRE_` goes in front (`TASKWIRE_HUB_MAX_CONNECTIONS`).
    ///
    /// | key | env | flag | value |
    /// |---|---|---|---|
    /// | `preset` | `TASKWIRE_PRESET` | `--preset` | `standard`, `high-performance`, `lightweight` |
    /// | `hub.max_connections` | `TASKWIRE_HUB_MAX_CONNECTIONS` | `--max-connections` | integer |
    /// | `hub.ping_interval` | `TASKWIRE_HUB_PING_INTERVAL` | `--ping-interval` | duration |
    /// | `hub.pong_timeout` | `TASKWIRE_HUB_PONG_TIMEOUT` | `--pong-timeout` | duration |
    /// | `hub.max_message_size` | `TASKWIRE_HUB_MAX_MESSAGE_SIZE` | `--max-message-size` | size |
    /// | `hub.enable_compression` | `TASKWIRE_HUB_ENABLE_COMPRESSION` | `--[no-]compression` | boolean |
    /// | `hub.enable_heartbeat` | `TASKWIRE_HUB_ENABLE_HEARTBEAT` | `--[no-]heartbeat` | boolean |
    /// | `hub.cleanup_interval` | `TASKWIRE_HUB_CLEANUP_INTERVAL` | `--cleanup-interval` | duration |
    /// | `hub.outbound_queue_messages` | `TASKWIRE_HUB_OUTBOUND_QUEUE_MESSAGES` | `--outbound-queue-messages` | integer |
    /// | `hub.outbound_queue_bytes` | `TASKWIRE_HUB_OUTBOUND_QUEUE_BYTES` | `--outbound-queue-bytes` | size |
    /// | `hub.max_bad_messages` | `TASKWIRE_HUB_MAX_BAD_MESSAGES` | `--max-bad-messages` | integer |
    /// | `hub.max_subscriptions_per_connection` | `TASKWIRE_HUB_MAX_SUBSCRIPTIONS_PER_CONNECTION` | `--max-subscriptions` | integer |
    /// | `hub.close_timeout` | `TASKWIRE_HUB_CLOSE_TIMEOUT` | `--close-timeout` | duration |
    /// | `hub.shutdown_grace_period` | `TASKWIRE_HUB_SHUTDOWN_GRACE_PERIOD` | `--shutdown-grace-period` | duration |
    /// | `hub.rate_limit` | `TASKWIRE_HUB_RATE_LIMIT` | `--rate-limit` | messages per second or `off` |
    /// | `hub.rate_limit_burst` | `TASKWIRE_HUB_RATE_LIMIT_BURST` | `--rate-limit-burst` | integer |
    /// | `hub.rate_limit_max_violations` | `TASKWIRE_HUB_RATE_LIMIT_MAX_VIOLATIONS` | `--rate-limit-max-violations` | integer |
    /// | `hub.max_connections_per_user` | `TASKWIRE_HUB_MAX_CONNECTIONS_PER_USER` | `--max-connections-per-user` | integer or `unlimited` |
    /// | `hub.history_size` | `TASKWIRE_HUB_HISTORY_SIZE` | `--history-size` | integer |
    /// | `hub.history_ttl` | `TASKWIRE_HUB_HISTORY_TTL` | `--history-ttl` | duration |
    /// | `http.host` | `TASKWIRE_HTTP_HOST` | `--host` | string |
    /// | `http.port` | `TASKWIRE_HTTP_PORT` | `--port` | integer 0…65535 |
    /// | `http.max_body_size` | `TASKWIRE_HTTP_MAX_BODY_SIZE` | `--max-body-size` | size |
    /// | `store.database` | `TASKWIRE_STORE_DATABASE` | `--database` | SQLite file path or `postgres://` URL |
    /// | `queue.max_payload_size` | `TASKWIRE_QUEUE_MAX_PAYLOAD_SIZE` | `--max-payload-size` | size |
    /// | `queue.lease_check_interval` | `TASKWIRE_QUEUE_LEASE_CHECK_INTERVAL` | `--lease-check-interval` | duration |
    /// | `queue.status_interval` | `TASKWIRE_QUEUE_STATUS_INTERVAL` | `--status-interval` | duration |
    /// | `log.level` | `TASKWIRE_LOG_LEVEL` | `--log-level` | `trace` … `critical` |
    /// | `auth.secure` | `TASKWIRE_AUTH_SECURE` | `--secure` | boolean |
    /// | `auth.jwt_secret` | `TASKWIRE_AUTH_JWT_SECRET` | `--jwt-secret` | string (secret) |
    /// | `auth.jwt_public_keys` | `TASKWIRE_AUTH_JWT_PUBLIC_KEYS` | `--jwt-public-key` (repeatable) | PEM file paths, comma-separated |
    /// | `auth.allowed_origins` | `TASKWIRE_AUTH_ALLOWED_ORIGINS` | `--allowed-origins` | origins, comma-separated |
    /// | `http.tls_cert` | `TASKWIRE_HTTP_TLS_CERT` | `--tls-cert` | PEM file path |
    /// | `http.tls_key` | `TASKWIRE_HTTP_TLS_KEY` | `--tls-key` | PEM file path |
    ///
    /// A duration is `"500ms"`, `"30s"`, `"2m"`, `"1h"` or a number of seconds; a size is a
    /// number of bytes or `"64KiB"`, `"1MiB"`, `"1GiB"`; a boolean is `true`/`false`
    /// (also `yes`/`no`, `on`/`off`, `1`/`0`). The config file itself is named by `--config`
    /// or `TASKWIRE_CONFIG`.
    public struct Key: Sendable, Hashable, CustomStringConvertible {
        /// The dotted key, e.g. `hub.max_connections`.
        public let name: String
        /// What the key sets, in a few words (used in `--help`).
        public let summary: String

        private init(_ name: String, _ summary: String) {
            self.name = name
            self.summary = summary
        }

        /// The environment variable that sets this key, e.g. `TASKWIRE_HUB_MAX_CONNECTIONS`.
        public var environmentVariable: String {
            "TASKWIRE_" + String(name.uppercased().map { $0 == "." ? "_" : $0 })
        }

        public var description: String { name }

        public static func == (lhs: Key, rhs: Key) -> Bool { lhs.name == rhs.name }
        public func hash(into hasher: inout Hasher) { hasher.combine(name) }

        /// The preset the other keys override.
        public static let preset = Key("preset", "Preset the other settings start from: standard, high-performance or lightweight")
        /// ``HubConfiguration/maxConnections``.
        public static let hubMaxConnections = Key("hub.max_connections", "Most concurrent WebSocket connections")
        /// ``HubConfiguration/pingInterval``.
        public static let hubPingInterval = Key("hub.ping_interval", "How often each client is pinged")
        /// ``HubConfiguration/pongTimeout``.
        public static let hubPongTimeout = Key("hub.pong_timeout", "How long a client has to answer a ping")
        /// ``HubConfiguration/maxMessageSize``.
        public static let hubMaxMessageSize = Key("hub.max_message_size", "Largest WebSocket message, after decompression")
        /// ``HubConfiguration/enableCompression``.
        public static let hubEnableCompression = Key("hub.enable_compression", "Negotiate permessage-deflate")
        /// ``HubConfiguration/enableHeartbeat``.
        public static let hubEnableHeartbeat = Key("hub.enable_heartbeat", "Ping clients and close those that stop answering")
        /// ``HubConfiguration/cleanupInterval``.
        public static let hubCleanupInterval = Key("hub.cleanup_interval", "How often disconnected clients are cleaned up")
        /// ``HubConfiguration/outboundQueueMessages``.
        public static let hubOutboundQueueMessages = Key("hub.outbound_queue_messages", "Bound of each connection's outbound queue, in messages")
        /// ``HubConfiguration/outboundQueueBytes``.
        public static let hubOutboundQueueBytes = Key("hub.outbound_queue_bytes", "Bound of each connection's outbound queue, in bytes")
        /// ``HubConfiguration/maxBadMessages``.
        public static let hubMaxBadMessages = Key("hub.max_bad_messages", "Errors a connection may cause in a minute before it is closed")
        /// ``HubConfiguration/maxSubscriptionsPerConnection``.
        public static let hubMaxSubscriptionsPerConnection = Key("hub.max_subscriptions_per_connection", "Most subscriptions one connection may hold")
        /// ``HubConfiguration/closeTimeout``.
        public static let hubCloseTimeout = Key("hub.close_timeout", "How long a close handshake may take before the connection is cut")
        /// ``HubConfiguration/shutdownGracePeriod``.
        public static let hubShutdownGracePeriod = Key("hub.shutdown_grace_period", "How long shutdown waits for clients to go")
        /// ``HubConfiguration/rateLimitMessagesPerSecond``.
        public static let hubRateLimit = Key("hub.rate_limit", "Messages per second one connection may send (token bucket), or off")
        /// ``HubConfiguration/rateLimitBurst``.
        public static let hubRateLimitBurst = Key("hub.rate_limit_burst", "Messages a connection may send at once above the rate")
        /// ``HubConfiguration/rateLimitMaxViolations``.
        public static let hubRateLimitMaxViolations = Key(
            "hub.rate_limit_max_violations",
            "Rate-limited messages in a minute before the connection is closed with 4004"
        )
        /// ``HubConfiguration/maxConnectionsPerUser``.
        public static let hubMaxConnectionsPerUser = Key("hub.max_connections_per_user", "Most connections one user may hold, or unlimited")
        /// ``HubConfiguration/historySize``.
        public static let hubHistorySize = Key("hub.history_size", "Most recent events kept per stream for recovery with since (0: none)")
        /// ``HubConfiguration/historyTTL``.
        public static let hubHistoryTTL = Key("hub.history_ttl", "How long an event stays in its stream's recovery history")
        /// ``HTTP/host``.
        public static let httpHost = Key("http.host", "Address to listen on")
        /// ``HTTP/port``.
        public static let httpPort = Key("http.port", "Port to listen on")
        /// ``HTTP/maxBodySize``.
        public static let httpMaxBodySize = Key("http.max_body_size", "Largest HTTP request body")
        /// ``Store/database``.
        public static let storeDatabase = Key("store.database", "SQLite database file of the task store, or postgres://user:password@host:port/database")
        /// ``QueueConfiguration/maxPayloadSize``.
        public static let queueMaxPayloadSize = Key("queue.max_payload_size", "Largest task payload or result, as JSON text")
        /// ``QueueConfiguration/leaseCheckInterval``.
        public static let queueLeaseCheckInterval = Key("queue.lease_check_interval", "How often expired leases are looked for")
        /// ``QueueConfiguration/statusInterval``.
        public static let queueStatusInterval = Key("queue.status_interval", "Shortest gap between two queue_status_changed events")
        /// ``TaskwireConfiguration/logLevel``.
        public static let logLevel = Key("log.level", "Lowest log level: trace, debug, info, notice, warning, error or critical")

        /// ``Auth/secure``.
        public static let authSecure = Key("auth.secure", "Require valid credentials (a JWT) on every connection and API call")
        /// ``Auth/jwtSecret``.
        public static let authJWTSecret = Key("auth.jwt_secret", "Secret that HS256 tokens are signed with (never logged)")
        /// ``Auth/jwtPublicKeys``.
        public static let authJWTPublicKeys = Key("auth.jwt_public_keys", "PEM files of RSA (RS256) or P-256 (ES256) public keys that verify tokens")
        /// ``Auth/allowedOrigins``.
        public static let authAllowedOrigins = Key("auth.allowed_origins", "Origins browsers may connect from, comma-separated (default: any)")
        /// ``HTTP/tlsCertificate``.
        public static let httpTLSCert = Key("http.tls_cert", "PEM certificate file: serve https:// and wss:// (with http.tls_key)")
        /// ``HTTP/tlsKey``.
        public static let httpTLSKey = Key("http.tls_key", "PEM private key file of http.tls_cert")

        /// Every key, in the order they are documented.
        public static let all: [Key] = [
            .preset, .hubMaxConnections, .hubPingInterval, .hubPongTimeout, .hubMaxMessageSize, .hubEnableCompression,
            .hubEnableHeartbeat, .hubCleanupInterval, .hubOutboundQueueMessages, .hubOutboundQueueBytes, .hubMaxBadMessages,
            .hubMaxSubscriptionsPerConnection, .hubCloseTimeout, .hubShutdownGracePeriod, .hubRateLimit, .hubRateLimitBurst, .hubRateLimitMaxViolations, .hubMaxConnectionsPerUser,
            .hubHistorySize, .hubHistoryTTL, .httpHost, .httpPort,
            .httpMaxBodySize, .storeDatabase, .queueMaxPayloadSize, .queueLeaseCheckInterval, .queueStatusInterval, .logLevel,
            .authSecure, .authJWTSecret, .authJWTPublicKeys, .authAllowedOrigins, .httpTLSCert, .httpTLSKey,
        ]

        /// Keys whose values are secrets: shown as `<redacted>`.
        public var isSecret: Bool { self == .authJWTSecret }

        /// The key with this name, if there is one.
        public init?(name: String) {
            guard let key = Self.all.first(where: { $0.name == name }) else { return nil }
            self = key
        }
    }

    /// The environment variable that names a JSON config file.
    public static let configFileEnvironmentVariable = "TASKWIRE_CONFIG"
}

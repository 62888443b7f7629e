import Logging
import TaskwireHub
import TaskwireQueue

extension TaskwireConfiguration {
    /// The value of `key` in its text form, as a flag or an environment variable would give it
    /// (`"30s"`, `"1MiB"`, `"true"`).
    public func text(for key: Key) -> String {
        switch key {
        case .preset: preset.name
        case .hubMaxConnections: String(hub.maxConnections)
        case .hubPingInterval: ConfigText.format(hub.pingInterval)
        case .hubPongTimeout: ConfigText.format(hub.pongTimeout)
        case .hubMaxMessageSize: ConfigText.format(bytes: hub.maxMessageSize)
        case .hubEnableCompression: String(hub.enableCompression)
        case .hubEnableHeartbeat: String(hub.enableHeartbeat)
        case .hubCleanupInterval: ConfigText.format(hub.cleanupInterval)
        case .hubOutboundQueueMessages: String(hub.outboundQueueMessages)
        case .hubOutboundQueueBytes: ConfigText.format(bytes: hub.outboundQueueBytes)
        case .hubMaxBadMessages: String(hub.maxBadMessages)
        case .hubMaxSubscriptionsPerConnection: String(hub.maxSubscriptionsPerConnection)
        case .hubCloseTimeout: ConfigText.format(hub.closeTimeout)
        case .hubShutdownGracePeriod: ConfigText.format(hub.shutdownGracePeriod)
        case .hubRateLimit: hub.rateLimitMessagesPerSecond.map { String($0) } ?? "off"
        case .hubRateLimitBurst: String(hub.rateLimitBurst)
        case .hubRateLimitMaxViolations: String(hub.rateLimitMaxViolations)
        case .hubMaxConnectionsPerUser: hub.maxConnectionsPerUser.map(String.init) ?? "unlimited"
        case .hubHistorySize: String(hub.historySize)
        case .hubHistoryTTL: ConfigText.format(hub.historyTTL)
        case .httpHost: http.host
        case .httpPort: String(http.port)
        case .httpMaxBodySize: ConfigText.format(bytes: http.maxBodySize)
        case .storeDatabase: store.database
        case .queueMaxPayloadSize: ConfigText.format(bytes: queue.maxPayloadSize)
        case .queueLeaseCheckInterval: ConfigText.format(queue.leaseCheckInterval)
        case .queueStatusInterval: ConfigText.format(queue.statusInterval)
        case .logLevel: logLevel.rawValue
        case .authSecure: String(auth.secure)
        case .authJWTSecret: auth.jwtSecret == nil ? "" : "<redacted>"
        case .authJWTPublicKeys: auth.jwtPublicKeys.joined(separator: ",")
        case .authAllowedOrigins: auth.allowedOrigins?.joined(separator: ",") ?? "any"
        case .httpTLSCert: http.tlsCertificate ?? ""
        case .httpTLSKey: http.tlsKey ?? ""
        default: ""
        }
    }

    /// The default of `key` under each preset, e.g. `1000 (high-performance: 10000, lightweight: 100)`,
    /// or a single value when the presets agree.
    public static func presetDefaults(for key: Key) -> String {
        let standard = TaskwireConfiguration.standard.text(for: key)
        guard key != .preset else { return standard }
        let others = Preset.all.dropFirst().map { ($0.name, $0.configuration.text(for: key)) }
        guard others.contains(where: { $0.1 != standard }) else { return standard }
        return standard + " (" + others.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + ")"
    }
}

public import Configuration
import TaskwirePostgres
import TaskwireHub
import TaskwireQueue

extension TaskwireConfiguration {
    /// Reads the configuration from command-line flags, the environment and a JSON config file,
    /// in that order of precedence (a flag beats an environment variable, which beats the file).
    ///
    /// The `preset` (default `standard`) gives every value that no source sets. Keys, environment
    /// variables and value forms are listed in ``Key``.
    ///
    /// ```swift
    /// let config = try await TaskwireConfiguration.load(
    ///     flags: ["http.port": "9000", "hub.ping_interval": "15s"],
    ///     configFile: "/etc/taskwire.json"
    /// )
    /// ```
    ///
    /// - Parameters:
    ///   - flags: values given on the command line, by key name (`"hub.max_connections": "500"`).
    ///   - environment: the environment variables; nil reads the process's.
    ///   - configFile: a JSON config file; nil uses `TASKWIRE_CONFIG` from the environment, if set.
    /// - Throws: ``TaskwireConfigurationError`` naming the key, the value and its source when a
    ///   value does not parse or is out of range, or when the config file cannot be read.
    public static func load(
        flags: [String: String] = [:],
        environment: [String: String]? = nil,
        configFile: String? = nil
    ) async throws(TaskwireConfigurationError) -> TaskwireConfiguration {
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (name, value) in flags {
            guard Key(name: name) != nil else {
                throw TaskwireConfigurationError(key: name, message: "unknown configuration key")
            }
            flagValues[AbsoluteConfigKey(ConfigKey(name))] = ConfigValue(.string(value), isSecret: Key(name: name)?.isSecret ?? false)
        }
        let environmentProvider =
            environment.map { EnvironmentVariablesProvider(environmentVariables: $0) } ?? EnvironmentVariablesProvider()
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: flagValues),
            environmentProvider.prefixKeys(with: "taskwire"),
        ]
        let path = configFile ?? ConfigReader(provider: environmentProvider).string(forKey: "taskwire.config")
        if let path {
            providers.append(try await jsonFileProvider(path: path))
        }
        return try TaskwireConfiguration(providers: providers)
    }

    /// Reads the configuration from `providers`, the first one that has a key winning.
    ///
    /// Providers see the keys of ``Key`` as they are (`hub.max_connections`); wrap an
    /// `EnvironmentVariablesProvider` with `prefixKeys(with: "taskwire")` to read `TASKWIRE_*`.
    /// - Throws: ``TaskwireConfigurationError`` when a value does not parse or is out of range.
    public init(providers: [any ConfigProvider]) throws(TaskwireConfigurationError) {
        let lookup = ConfigLookup(providers: providers)
        var c = (try lookup.preset(.preset) ?? .standard).configuration
        if let v = try lookup.int(.hubMaxConnections) { c.hub.maxConnections = v }
        if let v = try lookup.duration(.hubPingInterval) { c.hub.pingInterval = v }
        if let v = try lookup.duration(.hubPongTimeout) { c.hub.pongTimeout = v }
        if let v = try lookup.size(.hubMaxMessageSize) { c.hub.maxMessageSize = v }
        if let v = try lookup.bool(.hubEnableCompression) { c.hub.enableCompression = v }
        if let v = try lookup.bool(.hubEnableHeartbeat) { c.hub.enableHeartbeat = v }
        if let v = try lookup.duration(.hubCleanupInterval) { c.hub.cleanupInterval = v }
        if let v = try lookup.int(.hubOutboundQueueMessages) { c.hub.outboundQueueMessages = v }
        if let v = try lookup.size(.hubOutboundQueueBytes) { c.hub.outboundQueueBytes = v }
        if let v = try lookup.int(.hubMaxBadMessages) { c.hub.maxBadMessages = v }
        if let v = try lookup.int(.hubMaxSubscriptionsPerConnection) { c.hub.maxSubscriptionsPerConnection = v }
        if let v = try lookup.duration(.hubCloseTimeout) { c.hub.closeTimeout = v }
        if let v = try lookup.duration(.hubShutdownGracePeriod) { c.hub.shutdownGracePeriod = v }
        if let v = try lookup.rateOrOff(.hubRateLimit) { c.hub.rateLimitMessagesPerSecond = v }
        if let v = try lookup.int(.hubRateLimitBurst) { c.hub.rateLimitBurst = v }
        if let v = try lookup.int(.hubRateLimitMaxViolations) { c.hub.rateLimitMaxViolations = v }
        if let v = try lookup.limitOrUnlimited(.hubMaxConnectionsPerUser) { c.hub.maxConnectionsPerUser = v }
        if let v = try lookup.int(.hubHistorySize) { c.hub.historySize = v }
        if let v = try lookup.duration(.hubHistoryTTL) { c.hub.historyTTL = v }
        if let v = try lookup.string(.httpHost) { c.http.host = v }
        if let v = try lookup.int(.httpPort) { c.http.port = v }
        if let v = try lookup.size(.httpMaxBodySize) { c.http.maxBodySize = v }
        if let v = try lookup.string(.storeDatabase) { c.store.database = v }
        if let v = try lookup.size(.queueMaxPayloadSize) { c.queue.maxPayloadSize = v }
        if let v = try lookup.duration(.queueLeaseCheckInterval) { c.queue.leaseCheckInterval = v }
        if let v = try lookup.duration(.queueStatusInterval) { c.queue.statusInterval = v }
        if let v = try lookup.logLevel(.logLevel) { c.logLevel = v }
        if let v = try lookup.bool(.authSecure) { c.auth.secure = v }
        // An empty value (or `any` for the origins) means "not set", as `text(for:)` writes it.
        if let v = try lookup.string(.authJWTSecret) { c.auth.jwtSecret = v.isEmpty ? nil : v }
        if let v = try lookup.list(.authJWTPublicKeys) { c.auth.jwtPublicKeys = v }
        if let v = try lookup.list(.authAllowedOrigins) { c.auth.allowedOrigins = v == ["any"] || v.isEmpty ? nil : v }
        if let v = try lookup.string(.httpTLSCert) { c.http.tlsCertificate = v.isEmpty ? nil : v }
        if let v = try lookup.string(.httpTLSKey) { c.http.tlsKey = v.isEmpty ? nil : v }
        try c.validate()
        self = c
    }

    private static func jsonFileProvider(path: String) async throws(TaskwireConfigurationError) -> FileProvider<JSONSnapshot> {
        // `FileProvider(config:)` takes the path from a reader, which spares us `FilePath`.
        let pathReader = ConfigReader(
            provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(path), isSecret: false)])
        )
        do {
            return try await FileProvider<JSONSnapshot>(config: pathReader)
        } catch {
            throw TaskwireConfigurationError(key: "config", message: "cannot read config file \"\(path)\": \(error)")
        }
    }
}

extension TaskwireConfiguration {
    /// Checks every value is in range.
    /// - Throws: ``TaskwireConfigurationError`` naming the first key out of range.
    public func validate() throws(TaskwireConfigurationError) {
        func check(_ ok: Bool, _ key: Key, _ message: String) throws(TaskwireConfigurationError) {
            if !ok { throw TaskwireConfigurationError(key: key.name, message: message) }
        }
        try check(hub.maxConnections >= 1, .hubMaxConnections, "must be at least 1, not \(hub.maxConnections)")
        try check(hub.pingInterval > .zero, .hubPingInterval, "must be longer than 0")
        try check(hub.pongTimeout > .zero, .hubPongTimeout, "must be longer than 0")
        try check(hub.maxMessageSize >= 1, .hubMaxMessageSize, "must be at least 1 byte, not \(hub.maxMessageSize)")
        try check(hub.cleanupInterval > .zero, .hubCleanupInterval, "must be longer than 0")
        try check(hub.outboundQueueMessages >= 1, .hubOutboundQueueMessages, "must be at least 1, not \(hub.outboundQueueMessages)")
        try check(hub.outboundQueueBytes >= 1, .hubOutboundQueueBytes, "must be at least 1 byte, not \(hub.outboundQueueBytes)")
        try check(hub.maxBadMessages >= 0, .hubMaxBadMessages, "must not be negative, not \(hub.maxBadMessages)")
        try check(
            hub.maxSubscriptionsPerConnection >= 1,
            .hubMaxSubscriptionsPerConnection,
            "must be at least 1, not \(hub.maxSubscriptionsPerConnection)"
        )
        try check(hub.closeTimeout >= .zero, .hubCloseTimeout, "must not be negative")
        try check(hub.shutdownGracePeriod >= .zero, .hubShutdownGracePeriod, "must not be negative")
        try check(hub.rateLimitBurst >= 1, .hubRateLimitBurst, "must be at least 1, not \(hub.rateLimitBurst)")
        try check(hub.rateLimitMaxViolations >= 0, .hubRateLimitMaxViolations, "must not be negative, not \(hub.rateLimitMaxViolations)")
        try check(hub.historySize >= 0, .hubHistorySize, "must not be negative, not \(hub.historySize)")
        try check(hub.historyTTL >= .zero, .hubHistoryTTL, "must not be negative")
        try check(!http.host.isEmpty, .httpHost, "must not be empty")
        try check((0...65535).contains(http.port), .httpPort, "must be 0 to 65535, not \(http.port)")
        try check(http.maxBodySize >= 1, .httpMaxBodySize, "must be at least 1 byte, not \(http.maxBodySize)")
        try check(!store.database.isEmpty, .storeDatabase, "must not be empty")
        try check(
            !store.isPostgresURL || PostgresURL(store.database) != nil,
            .storeDatabase,
            "is not a valid PostgreSQL URL: give postgres://user:password@host:port/database"
        )
        try check(queue.maxPayloadSize >= 1, .queueMaxPayloadSize, "must be at least 1 byte, not \(queue.maxPayloadSize)")
        try check(queue.leaseCheckInterval > .zero, .queueLeaseCheckInterval, "must be longer than 0")
        try check(queue.statusInterval > .zero, .queueStatusInterval, "must be longer than 0")
        try check(
            !auth.secure || !(auth.jwtSecret ?? "").isEmpty || !auth.jwtPublicKeys.isEmpty,
            .authSecure,
            "needs auth.jwt_secret or auth.jwt_public_keys: without a key no token can be verified"
        )
        try check((http.tlsCertificate == nil) == (http.tlsKey == nil), http.tlsKey == nil ? .httpTLSKey : .httpTLSCert,
                  "http.tls_cert and http.tls_key go together")
    }
}

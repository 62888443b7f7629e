/// How a ``TaskwireClient`` connects, reconnects and waits.
///
/// Every property has a default; only the server's address is required:
///
/// ```swift
/// var configuration = TaskwireClientConfiguration(server: try ServerAddress("http://127.0.0.1:8080"))
/// configuration.reconnect.maximumDelay = .seconds(10)
/// ```
public struct TaskwireClientConfiguration: Sendable {
    /// The server: its HTTP base address (the WebSocket is `/ws` on it).
    public var server: ServerAddress
    /// Credentials, sent as `Authorization: Bearer` on the upgrade request and on every HTTP call.
    public var token: String?
    /// How long to wait for the TCP connection, the upgrade and the `welcome` message.
    public var connectTimeout: Duration
    /// How long a request (`subscribe`, `unsubscribe`, `publish`) waits for its `ack` or `error`,
    /// including the wait for a connection when the client is between connections.
    public var requestTimeout: Duration
    /// How long the connection may stay silent before the client sends a `ping` of its own;
    /// `nil` uses the server's `ping_interval_ms` from `welcome`.
    public var idleTimeout: Duration?
    /// How long after its own `ping` the client waits for anything from the server before it
    /// declares the server dead and reconnects; `nil` uses the server's `pong_timeout_ms`.
    public var deadServerTimeout: Duration?
    /// When and how often to reconnect.
    public var reconnect: ReconnectPolicy
    /// Largest message accepted from the server.
    public var maxMessageSize: Int

    /// Creates a configuration for the server at `server`, every other setting at its default.
    public init(
        server: ServerAddress,
        token: String? = nil,
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(10),
        idleTimeout: Duration? = nil,
        deadServerTimeout: Duration? = nil,
        reconnect: ReconnectPolicy = ReconnectPolicy(),
        maxMessageSize: Int = 16 << 20
    ) {
        self.server = server
        self.token = token
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.deadServerTimeout = deadServerTimeout
        self.reconnect = reconnect
        self.maxMessageSize = maxMessageSize
    }
}

/// Exponential backoff with jitter between reconnection attempts.
///
/// The n-th consecutive failed attempt (n from 1) waits
/// `min(maximumDelay, initialDelay * multiplier^(n-1))`, then a random part of it is taken away:
/// with `jitter` 0.5 the wait is between 50 % and 100 % of that value. A connection that reached
/// `welcome` resets the count.
public struct ReconnectPolicy: Sendable {
    /// Whether to reconnect at all; when false, ``TaskwireClient/run()`` returns after the first connection ends.
    public var enabled: Bool
    /// The wait after the first failure.
    public var initialDelay: Duration
    /// The longest wait.
    public var maximumDelay: Duration
    /// How much each wait grows over the previous one.
    public var multiplier: Double
    /// The fraction (0…1) of each wait that is randomised away.
    public var jitter: Double
    /// Consecutive failed attempts after which ``TaskwireClient/run()`` gives up and throws; `nil` never gives up.
    public var maximumAttempts: Int?

    /// Creates a policy; the defaults wait 0.1 s, 0.2 s, 0.4 s, … up to 5 s, with 50 % jitter, forever.
    public init(
        enabled: Bool = true,
        initialDelay: Duration = .milliseconds(100),
        maximumDelay: Duration = .seconds(5),
        multiplier: Double = 2,
        jitter: Double = 0.5,
        maximumAttempts: Int? = nil
    ) {
        self.enabled = enabled
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.maximumAttempts = maximumAttempts
    }

    /// The wait before attempt `attempt + 1`, after `attempt` (≥ 1) consecutive failures.
    ///
    /// - Parameter random: a number in 0..<1 (injected so tests can pin it).
    public func delay(afterFailures attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let exponent = Double(max(0, attempt - 1))
        let initial = initialDelay.seconds
        let grown = min(maximumDelay.seconds, initial * pow(multiplier, exponent))
        let jittered = grown * (1 - min(max(jitter, 0), 1) * random)
        return .nanoseconds(Int64(jittered * 1e9))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

/// `base` raised to `exponent`, without Foundation.
private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var remaining = Int(exponent.rounded(.down))
    var factor = base
    while remaining > 0 {
        if remaining & 1 == 1 { result *= factor }
        factor *= factor
        remaining >>= 1
    }
    return result
}

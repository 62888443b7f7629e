/// Settings of the WebSocket transport that are not the hub's.
public struct WebSocketTransportConfiguration: Sendable {
    /// The path clients upgrade on.
    public var path: String
    /// The `Origin`s a browser may upgrade from; nil allows any. Requests without an `Origin`
    /// header (clients that are not browsers) are not affected.
    public var allowedOrigins: Set<String>?
    /// How long a new connection may take to send its first request's head; then it is closed.
    public var handshakeTimeout: Duration

    public init(path: String = "/ws", allowedOrigins: Set<String>? = nil, handshakeTimeout: Duration = .seconds(10)) {
        self.path = path
        self.allowedOrigins = allowedOrigins
        self.handshakeTimeout = handshakeTimeout
    }
}

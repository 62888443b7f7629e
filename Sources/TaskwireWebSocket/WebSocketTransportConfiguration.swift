/// Settings of the WebSocket transport that are not the hub's.
public struct WebSocketTransportConfiguration: Sendable {
    /// The path clients upgrade on.
    public var path: String
    /// The `Origin`s a browser may upgrade from; nil allows any. Requests without an `Origin`
    /// header (clients that are not browsers) are not affected.
    public var allowedOrigins: Set<String>?

    public init(path: String = "/ws", allowedOrigins: Set<String>? = nil) {
        self.path = path
        self.allowedOrigins = allowedOrigins
    }
}

/// Settings of the WebSocket transport that are not the hub's.
public struct WebSocketTransportConfiguration: Sendable {
    /// The path clients upgrade on.
    public var path: String

    public init(path: String = "/ws") {
        self.path = path
    }
}

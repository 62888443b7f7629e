/// The lifecycle of one connection (the seed's `ConnectionState`).
public enum ConnectionState: String, Sendable, Hashable {
    /// Registered, welcome not yet sent.
    case connecting
    /// Welcomed; receives messages.
    case connected
    /// A close was started; waiting for the transport to finish it.
    case disconnecting
    /// Gone.
    case disconnected
    /// Failed.
    case error
}

extension ConnectionState {
    /// Whether messages are still sent to a connection in this state.
    var receivesMessages: Bool { self == .connected || self == .connecting }
}

public import NIOCore

/// Carries the events published on one node to every node of a cluster.
///
/// With a relay set (``Hub/relay``), the hub numbers no event itself: each publish that does not
/// come with its position (``Hub/publish(_:to:coalescingKey:onDelivered:)``, notifications,
/// clients' `custom` messages) is handed to the relay, which numbers it for the whole cluster
/// and hands it back to every node's hub, this one included, through
/// ``Hub/deliver(_:key:at:coalescingKey:onDelivered:)``.
public protocol EventRelay: Sendable {
    /// Takes an event to publish. Called under no lock; must return at once.
    /// - Parameters:
    ///   - event: what to publish, and where.
    ///   - onDelivered: called with the number of this node's connections reached once this node
    ///     delivered the event, or with 0 when the event could not be published.
    func relay(_ event: RelayedEvent, onDelivered: (@Sendable (Int) -> Void)?)

    /// False while the relay cannot reach the cluster (what it takes then waits in a queue):
    /// publishers that can answer with an error do so instead of waiting.
    var isAvailable: Bool { get }
}

extension EventRelay {
    /// True.
    public var isAvailable: Bool { true }
}

/// An event on its way to the cluster.
public struct RelayedEvent: Sendable {
    /// The log the event goes to: the stream's name, or `user_notification#<user id>`.
    public var key: String
    /// The message, open (without its closing brace): see `ServerMessage`.
    public var body: ByteBuffer
    /// Marks a replaceable event, as in ``Hub/publish(_:to:coalescingKey:onDelivered:)``.
    public var coalescingKey: String?
    /// A state rather than an event (``Hub/publishState(_:to:)``): dropped when it equals the
    /// last one of its stream.
    public var onlyIfChanged: Bool

    public init(key: String, body: ByteBuffer, coalescingKey: String? = nil, onlyIfChanged: Bool = false) {
        self.key = key
        self.body = body
        self.coalescingKey = coalescingKey
        self.onlyIfChanged = onlyIfChanged
    }
}

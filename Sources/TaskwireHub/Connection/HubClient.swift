import DequeModule
import TaskwireProtocol

/// The hub's record of one connection (the seed's `WebSocketClient`).
///
/// Its `let`s may be read anywhere; everything else is touched only on its shard's executor.
public final class HubClient: @unchecked Sendable {
    /// Server-assigned connection id.
    public let id: String
    /// The authenticated user, if any.
    public let userID: String?
    /// The session, if any.
    public let sessionID: String?
    /// When the connection was registered.
    public let connectedAt: Timestamp
    let shard: HubShard
    let transport: any ClientTransport

    // Executor-confined state.
    var state: ConnectionState = .connecting
    /// What it may do: from its credentials (renewed by `refresh`), or anonymous.
    var access: Access = .anonymous
    /// Last time the client showed it is alive (a pong, or registration): the seed's `last_ping`.
    var lastPing: Timestamp
    /// When the ping now awaiting its pong was sent.
    var pingSentAt: Timestamp?
    /// When the last ping was sent.
    var lastPingSentAt: Timestamp
    /// When a close was started.
    var closingSince: Timestamp?
    /// Subscriptions by stream key.
    var subscriptions: [String: Subscription] = [:]
    /// Subscriptions whose log has messages not yet sent to this connection.
    var pending: [Subscription] = []
    /// Messages for this connection alone (welcome, acks, errors, pings), sent before stream messages.
    var direct: Deque<OutboundMessage> = []
    /// Whether a pump of its output is already scheduled for this fan-out round.
    var isScheduled = false
    /// Errors in the current one-minute window.
    var badMessageWindowStart: Timestamp
    var badMessageCount = 0
    /// Inbound rate limit: tokens left in the bucket, and when it was last refilled.
    var rateTokens: Double = 0
    var rateRefilledAt: Timestamp
    /// Rate-limit violations in the current one-minute window.
    var rateViolationWindowStart: Timestamp
    var rateViolationCount = 0

    init(id: String, userID: String?, sessionID: String?, now: Timestamp, shard: HubShard, transport: any ClientTransport) {
        self.id = id
        self.userID = userID
        self.sessionID = sessionID
        self.connectedAt = now
        self.lastPing = now
        self.lastPingSentAt = now
        self.badMessageWindowStart = now
        self.rateRefilledAt = now
        self.rateViolationWindowStart = now
        self.shard = shard
        self.transport = transport
    }

    /// The current state. Call on the connection's executor.
    public var currentState: ConnectionState { state }

    /// The streams it is subscribed to, sorted. Call on the connection's executor.
    public var subscribedStreams: [String] { subscriptions.keys.sorted() }

    func snapshot() -> ConnectionInfo {
        ConnectionInfo(
            clientID: id,
            userID: userID,
            sessionID: sessionID,
            connectedAt: connectedAt,
            lastPing: lastPing,
            state: state,
            subscriptions: subscribedStreams
        )
    }
}

/// A snapshot of one connection, as the admin API lists it.
public struct ConnectionInfo: Sendable, Equatable {
    public var clientID: String
    public var userID: String?
    public var sessionID: String?
    public var connectedAt: Timestamp
    public var lastPing: Timestamp
    public var state: ConnectionState
    public var subscriptions: [String]
}

/// What happens to a ``TaskwireClient``'s connection, as told by ``TaskwireClient/connectionEvents()``.
public enum ConnectionEvent: Sendable {
    /// An attempt to connect starts (1 for the first after a success).
    case connecting(attempt: Int)
    /// The server sent `welcome`: the connection is ready for requests.
    case connected(Welcome)
    /// After a reconnect, the client's subscriptions were restored. `recovered` tells, per stream
    /// resumed with `since`, whether every missed event is being replayed; a `false` stream also
    /// gets a ``SubscriptionItem/gap(stream:)`` in its subscriptions.
    case resubscribed(streams: [String], recovered: [String: Bool])
    /// The connection ended; `error` says why, nil for a close the client asked for.
    case disconnected(TaskwireClientError?)
    /// The client waits `delay` before its next attempt.
    case waiting(delay: Duration, attempt: Int)
    /// The client was closed, or gave up; nothing follows.
    case closed
}

public import NIOCore
public import TaskwireProtocol

extension Hub {
    /// The cluster's relay: with one, every event published on this hub goes to the cluster,
    /// which numbers it and hands it to every node's hub (``deliver(_:key:at:coalescingKey:onDelivered:)``).
    /// Nil (the default) on a single node. Set it before serving.
    public var relay: (any EventRelay)? {
        get { streams.relay }
        set { streams.relay = newValue }
    }

    /// False while the ``relay`` cannot reach the cluster: the HTTP publish and notification
    /// endpoints then answer 503, and a client's `custom` message an `unavailable` error.
    public var acceptsPublishes: Bool {
        streams.relay?.isAvailable ?? true
    }

    /// Delivers an event numbered elsewhere (by the cluster's relay) to this hub's subscribers,
    /// at its position. An event at or before the stream's current position in the same epoch is
    /// ignored; a gap or a new epoch starts the hub's history of the stream again from `position`.
    /// - Parameters:
    ///   - body: the message, open (without its closing brace): see ``ServerMessage``.
    ///   - key: the log: a stream's name, or ``logKey(ofUser:)`` for a user's notifications.
    ///   - position: the event's seq and epoch.
    ///   - coalescingKey: marks a replaceable event, as in ``publish(_:to:coalescingKey:onDelivered:)``.
    ///   - onDelivered: called with the number of connections reached.
    public func deliver(
        _ body: ByteBuffer,
        key: String,
        at position: StreamPosition,
        coalescingKey: String? = nil,
        onDelivered: (@Sendable (Int) -> Void)? = nil
    ) {
        let eventType = key.hasPrefix(Self.userLogPrefix) ? StreamName.userNotification.rawValue : key
        publish(body, key: key, eventType: eventType, at: position, coalescingKey: coalescingKey, onDelivered: onDelivered)
    }

    /// Publishes the new state of a stream that carries states rather than events
    /// (`queue_status_changed`): nothing is published when `body` equals the last state
    /// published on the stream, by this hub or, in a cluster, by any node.
    public func publishState(_ body: ByteBuffer, to stream: StreamName) {
        publish(body, key: stream.rawValue, eventType: stream.rawValue, onlyIfChanged: true, onDelivered: nil)
    }
}

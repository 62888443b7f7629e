public import Logging
public import CoreMetrics
public import NIOCore
import Synchronization
public import TaskwireProtocol

/// The WebSocket hub (the seed's `WebSocketManager`): connections, subscriptions, fan-out,
/// heartbeat, timeouts and metrics, with no sockets inside.
///
/// The hub is split into shards, one per executor (one per event loop in the server). A
/// connection lives on one shard and all of its state is touched only there. A publish numbers
/// the event for its stream, encodes it once, and hands the same bytes to each shard that has
/// subscribers; each shard then writes them to its connections as fast as each can take them.
///
/// ```swift
/// let hub = Hub(configuration: .standard, executors: [ImmediateExecutor()], logger: logger)
/// let client = try hub.addConnection(transport: transport, on: executor, userID: nil, sessionID: nil)
/// hub.publish(ServerMessage.customBody(data: data), to: try StreamName(validating: "news"))
/// ```
public final class Hub: Sendable {
    /// The configuration the hub was made with.
    public let configuration: HubConfiguration
    /// Where the hub reads the time.
    public let clock: any HubClock
    /// The name sent in `welcome` (`taskwire/VERSION`).
    public let serverName: String
    /// The epoch of this hub's in-memory numbering; every stream epoch starts with it.
    public let epoch: String
    let logger: Logger
    let metrics: HubMetrics
    let framer: any MessageFramer
    let streams: StreamTable
    // Initialised right after `self` exists; never changed after `init`.
    nonisolated(unsafe) private(set) var shards: [HubShard] = []
    let directory = Mutex<[String: HubClient]>([:])
    /// Registered connections per user, kept only when `maxConnectionsPerUser` is set.
    private let userConnections = Mutex<[String: Int]>([:])
    private let authenticatorBox = Mutex<(any ClientAuthenticator)?>(nil)
    /// Reserved plus registered connections, bounded by `maxConnections`.
    private let slots = Atomic<Int>(0)
    private let nextClientNumber = Atomic<UInt64>(0)
    private let clientIDPrefix: String
    let isShuttingDown = Atomic<Bool>(false)

    /// Inbox depth per shard past which publishers are told to slow down.
    static let congestionThreshold = 8192

    /// Creates a hub with one shard per executor.
    /// - Parameters:
    ///   - configuration: limits, heartbeat and queue bounds.
    ///   - executors: the serial executors the shards run on (the server's event loops).
    ///   - clock: the time source (tests inject ``ManualHubClock``).
    ///   - framer: frames each message once for the transport.
    ///   - serverName: sent in `welcome`.
    ///   - logger: the hub's logger; per-connection logs add `tw.client.id`.
    ///   - metricsFactory: where the Prometheus-style metrics go.
    public init(
        configuration: HubConfiguration,
        executors: [any HubExecutor],
        clock: any HubClock = SystemHubClock(),
        framer: any MessageFramer = IdentityFramer(),
        serverName: String = "taskwire/\(TaskwireVersion.current)",
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(!executors.isEmpty && executors.count <= 64, "a hub has 1 to 64 shards")
        self.configuration = configuration
        self.clock = clock
        self.framer = framer
        self.serverName = serverName
        self.logger = logger
        let random = UInt64.random(in: 0..<UInt64(36 * 36 * 36 * 36 * 36 * 36))
        self.epoch = String(random, radix: 36)
        self.clientIDPrefix = String(UInt64.random(in: 0..<UInt64(1 << 40)), radix: 36)
        self.streams = StreamTable(hubEpoch: epoch)
        self.metrics = HubMetrics(now: clock.now(), factory: metricsFactory)
        self.shards = executors.enumerated().map { HubShard(index: $0.offset, executor: $0.element, hub: self) }
    }

    // MARK: - Connection slots

    /// Reserves a slot for a connection about to be upgraded.
    /// - Returns: false when `maxConnections` are already in use (answer 503) or the hub is shutting down.
    public func reserveConnectionSlot() -> Bool {
        guard !isShuttingDown.load(ordering: .relaxed) else { return false }
        var current = slots.load(ordering: .relaxed)
        while current < configuration.maxConnections {
            let (exchanged, original) = slots.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
        metrics.connectionAttemptFailed()
        return false
    }

    /// Gives back a slot reserved for a connection that never registered.
    public func releaseConnectionSlot() {
        slots.subtract(1, ordering: .relaxed)
    }

    /// Counts a connection attempt that failed before it was registered.
    public func recordConnectionError() {
        metrics.connectionAttemptFailed()
    }

    // MARK: - Connections

    /// Registers a connection (the seed's `add_connection`), subscribes it to `subscriptions` and
    /// sends its `welcome`. Call on `executor`, the connection's own.
    ///
    /// - Parameters:
    ///   - access: what it may do (its credentials); subscriptions it may not make are refused.
    ///   - slotReserved: whether ``reserveConnectionSlot()`` was already called for it.
    /// - Throws: ``TaskwireError`` (`forbidden`) when the connection limit is reached (no slot was
    ///   reserved), `userID` already holds `maxConnectionsPerUser` connections, or a subscription
    ///   is refused (too many, or not permitted).
    @discardableResult
    public func addConnection(
        transport: any ClientTransport,
        on executor: any HubExecutor,
        userID: String? = nil,
        sessionID: String? = nil,
        subscriptions: [StreamName] = [],
        access: Access = .anonymous,
        slotReserved: Bool = false
    ) throws(TaskwireError) -> HubClient {
        if !slotReserved {
            guard reserveConnectionSlot() else {
                throw TaskwireError(.forbidden, "connection limit of \(configuration.maxConnections) reached")
            }
        }
        guard let shard = shards.first(where: { $0.executor === executor }) else {
            releaseConnectionSlot()
            preconditionFailure("executor is not one of the hub's")
        }
        let number = nextClientNumber.add(1, ordering: .relaxed).newValue
        let id = clientIDPrefix + "-" + String(number, radix: 36)
        let client = HubClient(
            id: id, userID: userID, sessionID: sessionID, now: clock.now(), shard: shard, transport: transport
        )
        guard subscriptions.count <= configuration.maxSubscriptionsPerConnection else {
            releaseConnectionSlot()
            throw TaskwireError(.forbidden, "too many subscriptions: at most \(configuration.maxSubscriptionsPerConnection)")
        }
        if let refused = subscriptions.first(where: { !access.canSubscribe(to: $0) }) {
            releaseConnectionSlot()
            throw TaskwireError(.forbidden, "not permitted to subscribe to \"\(refused.rawValue)\"")
        }
        client.access = access
        if let userID, let limit = configuration.maxConnectionsPerUser {
            let admitted = userConnections.withLock { counts in
                let count = counts[userID, default: 0]
                guard count < limit else { return false }
                counts[userID] = count + 1
                return true
            }
            guard admitted else {
                releaseConnectionSlot()
                throw TaskwireError(.forbidden, "connection limit of \(limit) per user reached")
            }
        }
        // The token bucket starts full.
        client.rateTokens = Double(max(1, configuration.rateLimitBurst))
        shard.clients[ObjectIdentifier(client)] = client
        directory.withLock { $0[id] = client }
        metrics.connectionOpened()
        for stream in subscriptions {
            shard.addSubscription(client, name: stream.rawValue, key: logKey(for: stream, of: client))
        }
        let welcome = ServerMessage.welcome(
            clientID: id,
            userID: userID,
            sessionID: sessionID,
            subscriptions: client.subscribedStreams,
            pingIntervalMs: configuration.pingInterval.milliseconds,
            pongTimeoutMs: configuration.pongTimeout.milliseconds,
            maxMessageSize: configuration.maxMessageSize,
            server: serverName
        )
        client.direct.append(makeMessage(welcome))
        client.state = .connected
        shard.schedule(client)
        shard.pumpReady()
        logger.debug("connection added", metadata: ["tw.client.id": "\(id)", "tw.user.id": "\(userID ?? "-")"])
        return client
    }

    /// Forgets a connection that is gone (the seed's `remove_connection`): drops its
    /// subscriptions, frees its slot, records its duration. Call on the connection's executor;
    /// calling it twice is harmless.
    public func removeConnection(_ client: HubClient) {
        let shard = client.shard
        guard shard.clients.removeValue(forKey: ObjectIdentifier(client)) != nil else { return }
        for name in Array(client.subscriptions.keys) {
            shard.removeSubscription(client, name: name)
        }
        client.pending.removeAll()
        client.direct.removeAll()
        if client.state != .error { client.state = .disconnected }
        directory.withLock { _ = $0.removeValue(forKey: client.id) }
        if let userID = client.userID, configuration.maxConnectionsPerUser != nil {
            userConnections.withLock { counts in
                let count = counts[userID, default: 0] - 1
                counts[userID] = count > 0 ? count : nil
            }
        }
        slots.subtract(1, ordering: .relaxed)
        let duration = clock.now() - client.connectedAt
        metrics.connectionClosed(duration: duration)
        logger.debug(
            "connection removed",
            metadata: ["tw.client.id": "\(client.id)", "tw.connection.duration_s": "\(duration.seconds)"]
        )
    }

    /// Starts closing a connection with `code`. Call on the connection's executor.
    public func close(_ client: HubClient, code: CloseCode, reason: String) {
        guard client.state.receivesMessages else { return }
        client.state = .disconnecting
        client.closingSince = clock.now()
        client.transport.close(code: code, reason: reason)
    }

    /// Marks a connection as failed (a transport error), counting it in `connection_errors`.
    public func connectionFailed(_ client: HubClient) {
        guard client.state != .error else { return }
        client.state = .error
        metrics.connectionError()
    }

    func closeSlowConsumer(_ client: HubClient) {
        metrics.slowConsumerClosed()
        logger.debug("slow consumer closed", metadata: ["tw.client.id": "\(client.id)"])
        close(client, code: .slowConsumer, reason: "slow consumer")
    }

    /// Called by a transport that became writable again: sends what waited.
    public func resumeOutput(of client: HubClient) {
        guard !client.pending.isEmpty || !client.direct.isEmpty else { return }
        client.shard.schedule(client)
        client.shard.pumpReady()
    }

    /// The executors of the hub's shards, in shard order.
    public var executors: [any HubExecutor] { shards.map(\.executor) }

    /// Number of registered connections.
    public var connectionCount: Int { directory.withLock { $0.count } }

    /// Whether the shards' fan-out is behind: publishers should pause reading until it is not.
    public var isCongested: Bool {
        shards.contains { $0.backlog.load(ordering: .relaxed) > Self.congestionThreshold }
    }

    // MARK: - Messages

    /// Wraps a complete message (JSON text) for sending.
    public func makeMessage(_ json: ByteBuffer) -> OutboundMessage {
        OutboundMessage(frame: framer.frame(json), jsonLength: json.readableBytes)
    }

    func makeMessage(_ json: ByteBuffer, coalescingKey: String?) -> OutboundMessage {
        OutboundMessage(frame: framer.frame(json), jsonLength: json.readableBytes, coalescingKey: coalescingKey)
    }

    /// Queues a message for one connection and sends it. Call on the connection's executor.
    /// - Returns: false when the connection is not connected.
    @discardableResult
    public func send(_ json: ByteBuffer, to client: HubClient) -> Bool {
        send(makeMessage(json), to: client)
    }

    @discardableResult
    func send(_ message: OutboundMessage, to client: HubClient) -> Bool {
        guard client.state == .connected else { return false }
        if client.direct.count >= configuration.outboundQueueMessages {
            closeSlowConsumer(client)
            return false
        }
        client.direct.append(message)
        client.shard.schedule(client)
        client.shard.pumpReady()
        return true
    }

    /// Publishes an event on a stream (the seed's `broadcast_to_subscribers`): numbers it,
    /// encodes it once, and hands it to the shards with subscribers. Returns without waiting.
    ///
    /// - Parameters:
    ///   - body: the message, open (without its closing brace): see ``ServerMessage``.
    ///   - stream: the stream.
    ///   - coalescingKey: marks a replaceable event (a task's progress update, keyed by task id):
    ///     a connection that has not been sent it yet when a newer event of the stream with the
    ///     same key arrives skips it. Nil (the default) for events every subscriber must receive.
    ///   - onDelivered: called with the number of connections reached, once every shard has counted.
    /// - Returns: the event's `seq`; 0 when a ``relay`` takes the event (the cluster numbers it).
    @discardableResult
    public func publish(
        _ body: ByteBuffer,
        to stream: StreamName,
        coalescingKey: String? = nil,
        onDelivered: (@Sendable (Int) -> Void)? = nil
    ) -> UInt64 {
        publish(body, key: stream.rawValue, eventType: stream.rawValue, coalescingKey: coalescingKey, onDelivered: onDelivered)
    }

    /// Publishes an event of a stream numbered by the ``StreamArchive``: the event is the one at
    /// `position` (the archive's seq and epoch) instead of the next the hub would number. An event
    /// at or before the stream's current position in the same epoch is ignored (reaching nobody);
    /// a gap or a new epoch starts the hub's history of the stream again from `position`.
    /// - Returns: the stream's seq afterwards.
    @discardableResult
    public func publish(
        _ body: ByteBuffer,
        to stream: StreamName,
        at position: StreamPosition,
        coalescingKey: String? = nil,
        onDelivered: (@Sendable (Int) -> Void)? = nil
    ) -> UInt64 {
        publish(body, key: stream.rawValue, eventType: stream.rawValue, at: position, coalescingKey: coalescingKey, onDelivered: onDelivered)
    }

    /// Checks the credentials of `refresh` messages; nil when the server takes no credentials
    /// (a `refresh` is then answered with `unauthorized`). Set it before serving.
    public var authenticator: (any ClientAuthenticator)? {
        get { authenticatorBox.withLock { $0 } }
        set { authenticatorBox.withLock { $0 = newValue } }
    }

    /// The archive of the streams the hub does not number itself (task streams: the task
    /// store). Set it before serving; a subscription with `since` that the hub's history cannot
    /// serve is then served from it.
    public var archive: (any StreamArchive)? {
        get { streams.archive }
        set { streams.archive = newValue }
    }

    /// Publishes a notification to the `user_notification` subscribers whose connection belongs
    /// to `userID`; they are numbered per user. Returns without waiting.
    /// - Returns: the notification's `seq` in the user's log; 0 when a ``relay`` takes it.
    @discardableResult
    public func publish(_ body: ByteBuffer, toUser userID: String, onDelivered: (@Sendable (Int) -> Void)? = nil) -> UInt64 {
        publish(body, key: Self.logKey(ofUser: userID), eventType: StreamName.userNotification.rawValue, onDelivered: onDelivered)
    }

    /// The log a subscription reads: the stream itself, or for `user_notification` the
    /// connection's own user's (anonymous connections read one nothing is published to).
    func logKey(for stream: StreamName, of client: HubClient) -> String {
        guard stream == .userNotification else { return stream.rawValue }
        return Self.logKey(ofUser: client.userID ?? "")
    }

    func streamKey(_ name: String, of client: HubClient) -> String {
        name == StreamName.userNotification.rawValue ? Self.logKey(ofUser: client.userID ?? "") : name
    }

    /// The log of `user_notification` events for one user: `user_notification#<user id>`.
    /// `#` cannot appear in a stream name, so these keys never meet a client's stream.
    public static func logKey(ofUser userID: String) -> String { userLogPrefix + userID }

    static let userLogPrefix = "user_notification#"

    /// Publishes and waits until every shard has counted the connections reached.
    /// - Returns: the number of connections reached.
    public func publishAndCount(_ body: ByteBuffer, to stream: StreamName) async -> Int {
        await withCheckedContinuation { continuation in
            publish(body, to: stream) { continuation.resume(returning: $0) }
        }
    }

    /// Publishes on the log `key`: at `position` when given (the archive's or the cluster's
    /// numbering), else handed to the ``relay`` when there is one, else numbered here.
    /// `onlyIfChanged` drops a body equal to the last one published so on the same log.
    @discardableResult
    func publish(
        _ body: ByteBuffer,
        key: String,
        eventType: String,
        at position: StreamPosition? = nil,
        coalescingKey: String? = nil,
        onlyIfChanged: Bool = false,
        onDelivered: (@Sendable (Int) -> Void)?
    ) -> UInt64 {
        if position == nil, let relay = streams.relay {
            relay.relay(RelayedEvent(key: key, body: body, coalescingKey: coalescingKey, onlyIfChanged: onlyIfChanged), onDelivered: onDelivered)
            return 0
        }
        metrics.published()
        let now = clock.now()
        return streams.stripe(for: key).entries.withLock { entries in
            if entries[key] == nil { entries[key] = streams.makeEntry(key, now: now) }
            if let position, !entries[key]!.advance(to: position) {
                onDelivered?(0)
                return entries[key]!.seq
            }
            if onlyIfChanged {
                if entries[key]!.lastState == body {
                    onDelivered?(0)
                    return entries[key]!.seq
                }
                entries[key]!.lastState = body
            }
            // Mutated in place: a copy of the entry would copy its whole history on the append.
            let (seq, message, mask) = number(&entries[key]!, body: body, eventType: eventType, coalescingKey: coalescingKey, now: now)
            guard mask != 0 else {
                onDelivered?(0)
                return seq
            }
            let counter = onDelivered.map { DeliveryCounter(shards: mask.nonzeroBitCount, completion: $0) }
            // Posting under the stream's lock keeps each shard's inbox in seq order.
            for shard in shards where mask & (1 << UInt64(shard.index)) != 0 {
                shard.post(ShardDelivery(key: key, seq: seq, message: message, counter: counter))
            }
            return seq
        }
    }

    /// Numbers the next event of a stream, encodes it once and keeps it in the stream's history.
    /// Runs under the stream's lock.
    private func number(
        _ entry: inout StreamTable.Entry,
        body: ByteBuffer,
        eventType: String,
        coalescingKey: String?,
        now: Timestamp
    ) -> (seq: UInt64, message: OutboundMessage, shardMask: UInt64) {
        entry.seq += 1
        entry.lastActivity = now
        var json = ByteBuffer()
        json.reserveCapacity(body.readableBytes + eventType.utf8.count + 64)
        ServerMessage.closeEvent(body, stream: eventType, seq: entry.seq, epoch: entry.epoch, into: &json)
        let message = makeMessage(json, coalescingKey: coalescingKey)
        if configuration.historySize > 0 {
            entry.history.append((entry.seq, now, message))
            entry.trimHistory(size: configuration.historySize, ttl: configuration.historyTTL, now: now)
        }
        return (entry.seq, message, entry.shardMask)
    }

    /// The current position of a stream: its last `seq` and its `epoch`.
    public func position(of stream: StreamName) -> StreamPosition {
        let (seq, epoch) = streams.position(stream.rawValue, now: clock.now())
        return StreamPosition(seq: seq, epoch: epoch)
    }

    // MARK: - Helpers

    func lookUp(_ clientID: String) throws(TaskwireError) -> HubClient {
        guard let client = directory.withLock({ $0[clientID] }) else {
            throw TaskwireError(.notFound, "no connection with client_id \"\(clientID)\"")
        }
        return client
    }

    /// Runs `body` on a shard's executor and returns its result.
    func run<T: Sendable>(on shard: HubShard, _ body: @escaping @Sendable () -> T) async -> T {
        if shard.executor.inExecutor { return body() }
        return await withCheckedContinuation { continuation in
            shard.executor.execute { continuation.resume(returning: body()) }
        }
    }
}

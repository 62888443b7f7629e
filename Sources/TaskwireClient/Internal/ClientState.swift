import TaskwireProtocol

/// Everything a ``TaskwireClient`` keeps between connections, guarded by one `Mutex`.
///
/// Methods are synchronous and return what the caller must do (resume continuations, yield to
/// streams, send frames) once the lock is released.
struct ClientState {
    enum Phase {
        /// `run()` was not called yet.
        case idle
        /// Between connections, or connecting.
        case connecting
        /// `welcome` received; requests may be sent.
        case connected(ConnectionHandle)
        /// `close()` was called, or `run()` gave up.
        case closed
    }

    typealias Reply = CheckedContinuation<JSONValue, any Error>
    typealias Waiter = CheckedContinuation<ConnectionHandle, any Error>

    struct Subscriber {
        var streams: Set<String>
        var continuation: AsyncThrowingStream<SubscriptionItem, any Error>.Continuation
    }

    /// The subscribe request that restores subscriptions after a reconnect.
    struct Resubscription {
        var id: Int64
        var streams: [String]
    }

    var phase: Phase = .idle
    var running = false
    private var nextID: Int64 = 1
    /// Each live subscription, by id.
    var subscribers: [UInt64: Subscriber] = [:]
    /// How many subscribers want each stream: the streams the server must have us subscribed to.
    var streamUsers: [String: Int] = [:]
    /// The last event seen per stream: deduplication, and `since` on a reconnect.
    var positions: [String: StreamPosition] = [:]
    /// Requests awaiting their `ack` or `error`, by request id.
    var replies: [Int64: Reply] = [:]
    /// Callers waiting for a connection.
    var waiters: [Int64: Waiter] = [:]
    /// Waits cancelled before they were registered.
    var cancelled: Set<Int64> = []
    var observers: [Int64: AsyncStream<ConnectionEvent>.Continuation] = [:]
    var resubscription: Resubscription?
    /// Wakes `run()` from its wait between attempts when the client is closed.
    var wakeUp: CheckedContinuation<Void, Never>?

    mutating func makeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    var connection: ConnectionHandle? {
        if case .connected(let handle) = phase { return handle }
        return nil
    }

    // MARK: Subscribers

    /// Adds a subscriber. - Returns: the streams no earlier subscriber wanted (to subscribe on the server).
    mutating func addSubscriber(
        id: UInt64,
        streams: Set<String>,
        continuation: AsyncThrowingStream<SubscriptionItem, any Error>.Continuation
    ) -> [String] {
        subscribers[id] = Subscriber(streams: streams, continuation: continuation)
        var added: [String] = []
        for stream in streams.sorted() {
            streamUsers[stream, default: 0] += 1
            if streamUsers[stream] == 1 { added.append(stream) }
        }
        return added
    }

    /// Removes a subscriber. - Returns: its continuation (to finish) and the streams no subscriber wants any more.
    mutating func removeSubscriber(id: UInt64) -> (AsyncThrowingStream<SubscriptionItem, any Error>.Continuation?, [String]) {
        guard let subscriber = subscribers.removeValue(forKey: id) else { return (nil, []) }
        var dropped: [String] = []
        for stream in subscriber.streams.sorted() {
            let left = (streamUsers[stream] ?? 1) - 1
            if left > 0 {
                streamUsers[stream] = left
            } else {
                streamUsers[stream] = nil
                positions[stream] = nil
                dropped.append(stream)
            }
        }
        return (subscriber.continuation, dropped)
    }

    /// Takes an event: records its position and returns the subscribers to give it to, or
    /// nothing when it is a duplicate or for a stream no one wants.
    mutating func accept(_ event: TaskwireEvent) -> [AsyncThrowingStream<SubscriptionItem, any Error>.Continuation] {
        guard streamUsers[event.stream] != nil else { return [] }
        if let last = positions[event.stream], last.epoch == event.epoch, event.seq <= last.seq { return [] }
        positions[event.stream] = event.position
        return subscribers.values.filter { $0.streams.contains(event.stream) }.map(\.continuation)
    }

    /// The subscribers of `stream`.
    func continuations(of stream: String) -> [AsyncThrowingStream<SubscriptionItem, any Error>.Continuation] {
        subscribers.values.filter { $0.streams.contains(stream) }.map(\.continuation)
    }

    // MARK: Connections

    /// A connection got its `welcome`. - Returns: the waiters to resume and, when there are
    /// subscriptions to restore, the request that restores them.
    /// - Returns: nil when the client was closed meanwhile.
    mutating func connected(_ handle: ConnectionHandle) -> (waiters: [Waiter], resubscribe: (Int64, [String], [String: StreamPosition])?)? {
        if isClosed { return nil }
        phase = .connected(handle)
        let waiting = Array(waiters.values)
        waiters = [:]
        let streams = streamUsers.keys.sorted()
        guard !streams.isEmpty else { return (waiting, nil) }
        let id = makeID()
        resubscription = Resubscription(id: id, streams: streams)
        let since = positions.filter { streamUsers[$0.key] != nil }
        return (waiting, (id, streams, since))
    }

    /// The connection `handleID` ended. - Returns: the requests to fail.
    mutating func disconnected(handleID: UInt64) -> [Reply] {
        if case .connected(let handle) = phase, handle.id == handleID { phase = .connecting }
        resubscription = nil
        let failed = Array(replies.values)
        replies = [:]
        return failed
    }

    /// Takes what waits for the answer to `requestID`: a caller's request, or the resubscription.
    mutating func takeAnswered(_ requestID: Int64) -> (Reply?, Resubscription?) {
        if let pending = resubscription, pending.id == requestID {
            resubscription = nil
            return (nil, pending)
        }
        return (replies.removeValue(forKey: requestID), nil)
    }

    /// Closes the client. - Returns: everything to finish, or nil when it was closed already.
    mutating func close() -> Closing? {
        if isClosed { return nil }
        let closing = Closing(
            connection: connection,
            waiters: Array(waiters.values),
            subscribers: subscribers.values.map(\.continuation),
            observers: Array(observers.values),
            wakeUp: wakeUp
        )
        phase = .closed
        waiters = [:]
        subscribers = [:]
        streamUsers = [:]
        observers = [:]
        wakeUp = nil
        return closing
    }

    struct Closing {
        var connection: ConnectionHandle?
        var waiters: [Waiter]
        var subscribers: [AsyncThrowingStream<SubscriptionItem, any Error>.Continuation]
        var observers: [AsyncStream<ConnectionEvent>.Continuation]
        var wakeUp: CheckedContinuation<Void, Never>?
    }
}

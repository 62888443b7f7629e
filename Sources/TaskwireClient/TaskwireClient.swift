import NIOCore
import Synchronization
public import TaskwireProtocol

/// A client of a Taskwire server's WebSocket: subscriptions with acks, publishing, automatic
/// reconnection with backoff, recovery of missed events with `since`, and heartbeat.
///
/// ``run()`` owns the connection: it connects, restores subscriptions after every reconnect,
/// and returns after ``close()``. Run it beside the code that uses the client, or let
/// ``withClient(configuration:_:)`` do both:
///
/// ```swift
/// let configuration = TaskwireClientConfiguration(server: try ServerAddress("http://127.0.0.1:8080"))
/// try await TaskwireClient.withClient(configuration: configuration) { client in
///     try await client.withSubscription(to: ["task_completed"]) { subscription in
///         for try await event in subscription.events {
///             if case .taskUpdate(let update) = event.message { print(update.taskID, update.status) }
///         }
///     }
/// }
/// ```
///
/// Within a stream, events arrive in order and never twice, across reconnects too: the client
/// remembers the last `seq` and `epoch` of each stream and resubscribes with `since`. When the
/// server can no longer replay what was missed, the stream's subscriptions get a
/// ``SubscriptionItem/gap(stream:)`` at that point, so the application can reload its state.
public final class TaskwireClient: Sendable {
    /// The configuration the client was made with.
    public let configuration: TaskwireClientConfiguration
    let state = Mutex(ClientState())
    private let ids = Atomic<UInt64>(1)

    /// Creates a client; nothing happens until ``run()``.
    public init(configuration: TaskwireClientConfiguration) {
        self.configuration = configuration
    }

    /// Creates a client, runs it while `body` runs, then closes it.
    ///
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws, or the error that stopped ``run()`` (it gave up reconnecting).
    public static func withClient<Result: Sendable>(
        configuration: TaskwireClientConfiguration,
        _ body: (TaskwireClient) async throws -> Result
    ) async throws -> Result {
        let client = TaskwireClient(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            do {
                let result = try await body(client)
                await client.close()
                try await group.waitForAll()
                return result
            } catch {
                await client.close()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// A new identifier, unique in this client.
    func makeLocalID() -> UInt64 { ids.wrappingAdd(1, ordering: .relaxed).oldValue }

    // MARK: Connection events

    /// A sequence of what happens to the connection (connected, disconnected, resubscribed, …),
    /// from now until the client is closed. Each call makes a new sequence.
    public func connectionEvents() -> AsyncStream<ConnectionEvent> {
        let (stream, continuation) = AsyncStream<ConnectionEvent>.makeStream()
        let added: Bool = state.withLock { state in
            guard !state.isClosed else { return false }
            let id = state.makeID()
            state.observers[id] = continuation
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.observers.removeValue(forKey: id) }
            }
            return true
        }
        if !added {
            continuation.yield(.closed)
            continuation.finish()
        }
        return stream
    }

    func emit(_ event: ConnectionEvent) {
        let observers = state.withLock { Array($0.observers.values) }
        for observer in observers { observer.yield(event) }
    }

    /// The `welcome` of the current connection, nil between connections.
    public var welcome: Welcome? { state.withLock { $0.connection?.welcome } }

    // MARK: Requests

    /// Waits until the client is connected (at most `timeout`).
    ///
    /// - Throws: ``TaskwireClientError`` with ``TaskwireClientError/Code/timeout`` or ``TaskwireClientError/Code/closed``.
    public func waitUntilConnected(timeout: Duration? = nil) async throws {
        _ = try await connection(timeout: timeout ?? configuration.requestTimeout)
    }

    func connection(timeout: Duration) async throws -> ConnectionHandle {
        if let handle = state.withLock({ $0.connection }) { return handle }
        return try await withTimeout(timeout, "waiting for a connection to \(configuration.server)") { [self] in
            let id = state.withLock { $0.makeID() }
            return try await suspend(id: id) { state, waiter in
                switch state.phase {
                case .connected(let handle): return .success(handle)
                case .closed: return .failure(TaskwireClientError(.closed, "the client is closed"))
                case .idle, .connecting:
                    state.waiters[id] = waiter
                    return nil
                }
            } unregister: { state in
                state.waiters.removeValue(forKey: id)
            }
        }
    }

    /// Sends the request that `encode` writes for a fresh id and waits for its `ack`.
    ///
    /// - Returns: the `ack` message.
    /// - Throws: ``TaskwireClientError``: ``TaskwireClientError/Code/server`` for an `error` answer,
    ///   ``TaskwireClientError/Code/timeout``, ``TaskwireClientError/Code/connectionLost``, ``TaskwireClientError/Code/closed``.
    func request(_ what: String, _ encode: @escaping @Sendable (Int64) -> ByteBuffer) async throws -> JSONValue {
        let timeout = configuration.requestTimeout
        let clock = ContinuousClock()
        let start = clock.now
        let handle = try await connection(timeout: timeout)
        let left = timeout - (clock.now - start)
        return try await withTimeout(left, "\(what) (request)") { [self] in
            let id = state.withLock { $0.makeID() }
            return try await suspend(id: id) { state, reply in
                guard let current = state.connection, current.id == handle.id else {
                    return .failure(TaskwireClientError(.connectionLost, "\(what): the connection ended before the request was sent"))
                }
                state.replies[id] = reply
                return nil
            } unregister: { state in
                state.replies.removeValue(forKey: id)
            } registered: {
                handle.send(encode(id))
            }
        }
    }

    /// Suspends on a continuation that `register` stores in the state (or answers at once, by
    /// returning a result), until whoever finds it there resumes it. Cancellation takes it back
    /// out with `unregister` and resumes it with `CancellationError`, also when it comes first.
    ///
    /// - Parameter registered: called, outside the lock, once the continuation is stored.
    private func suspend<T: Sendable>(
        id: Int64,
        register: (inout ClientState, CheckedContinuation<T, any Error>) -> Result<T, any Error>?,
        unregister: @escaping @Sendable (inout ClientState) -> CheckedContinuation<T, any Error>?,
        registered: () -> Void = {}
    ) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let answer: Result<T, any Error>? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    return register(&state, continuation)
                }
                if let answer { continuation.resume(with: answer) } else { registered() }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                guard let continuation = unregister(&state) else {
                    state.cancelled.insert(id)
                    return CheckedContinuation<T, any Error>?.none
                }
                return continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Publishes `data` on the custom stream `stream`.
    ///
    /// - Returns: how many connections it reached (the `ack`'s `delivered`).
    /// - Throws: ``TaskwireClientError``; a stream the server writes alone is ``TaskwireClientError/Code/server`` with `forbidden`.
    @discardableResult
    public func publish(_ data: JSONValue, to stream: String) async throws -> Int {
        let ack = try await request("publish to \(stream)") { id in OutgoingMessage.publish(id: id, stream: stream, data: data) }
        return Int(ack["delivered"]?.int64Value ?? 0)
    }

    // MARK: Closing

    /// Closes the client: sends a close frame (1000), finishes every subscription and
    /// connection-event sequence, and makes ``run()`` return. Safe to call more than once.
    public func close() async {
        guard let closing = state.withLock({ $0.close() }) else { return }
        closing.connection?.sendClose(code: CloseCode.normal.rawValue)
        let error = TaskwireClientError(.closed, "the client is closed")
        for waiter in closing.waiters { waiter.resume(throwing: error) }
        for subscriber in closing.subscribers { subscriber.finish() }
        for observer in closing.observers {
            observer.yield(.closed)
            observer.finish()
        }
        closing.wakeUp?.resume()
    }
}

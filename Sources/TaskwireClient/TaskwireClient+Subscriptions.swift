import Synchronization
import TaskwireProtocol

extension TaskwireClient {
    /// Subscribes to `streams` and returns the subscription once the server has acknowledged it.
    ///
    /// Events reach the subscription from the ack on. Keep the returned object alive as long as
    /// you read it: releasing it unsubscribes. Prefer ``withSubscription(to:_:)`` for scoped use.
    ///
    /// - Throws: ``TaskwireClientError``: ``TaskwireClientError/Code/invalidArgument`` for an invalid
    ///   stream name, ``TaskwireClientError/Code/server`` when the server refuses (`forbidden`, …),
    ///   ``TaskwireClientError/Code/timeout`` when no connection or answer comes in time.
    public func subscribe(to streams: [String]) async throws -> Subscription {
        guard !streams.isEmpty else { throw TaskwireClientError(.invalidArgument, "subscribe to at least one stream") }
        for stream in streams {
            do {
                _ = try StreamName(validating: stream)
            } catch {
                throw TaskwireClientError(.invalidArgument, error.message, serverCode: error.code.rawValue)
            }
        }
        let id = makeLocalID()
        let (items, continuation) = AsyncThrowingStream<SubscriptionItem, any Error>.makeStream()
        let added: [String]? = state.withLock { state in
            state.isClosed ? nil : state.addSubscriber(id: id, streams: Set(streams), continuation: continuation)
        }
        guard let added else { throw TaskwireClientError(.closed, "the client is closed") }
        let subscription = Subscription(id: id, streams: streams, client: self, items: items)
        if !added.isEmpty {
            // On failure, `subscription` is released here, which unsubscribes whatever was added.
            _ = try await request("subscribe to \(added.joined(separator: ","))") { requestID in
                OutgoingMessage.subscribe(id: requestID, streams: added, since: [:])
            }
        }
        return subscription
    }

    /// Subscribes to `streams`, runs `body` with the subscription, then unsubscribes (waiting for
    /// the server's ack), whether `body` returns or throws.
    ///
    /// - Returns: what `body` returns.
    public func withSubscription<Result: Sendable>(
        to streams: [String],
        _ body: (Subscription) async throws -> Result
    ) async throws -> Result {
        let subscription = try await subscribe(to: streams)
        let result: Result
        do {
            result = try await body(subscription)
        } catch {
            try? await subscription.unsubscribe()
            throw error
        }
        try? await subscription.unsubscribe()
        return result
    }

    /// Removes a subscriber; tells the server, without waiting, about streams no one wants any more.
    func removeSubscriber(_ id: UInt64) {
        let (continuation, dropped, connection, requestID) = state.withLock { state in
            let (continuation, dropped) = state.removeSubscriber(id: id)
            return (continuation, dropped, state.connection, dropped.isEmpty ? 0 : state.makeID())
        }
        continuation?.finish()
        if let connection, !dropped.isEmpty {
            connection.send(OutgoingMessage.unsubscribe(id: requestID, streams: dropped))
        }
    }

    /// Removes a subscriber and waits for the server's ack of the unsubscription, if one was needed.
    func removeSubscriberAndWait(_ id: UInt64) async throws {
        let (continuation, dropped, connected) = state.withLock { state in
            let (continuation, dropped) = state.removeSubscriber(id: id)
            return (continuation, dropped, state.connection != nil)
        }
        continuation?.finish()
        guard connected, !dropped.isEmpty else { return }
        _ = try await request("unsubscribe from \(dropped.joined(separator: ","))") { requestID in
            OutgoingMessage.unsubscribe(id: requestID, streams: dropped)
        }
    }
}

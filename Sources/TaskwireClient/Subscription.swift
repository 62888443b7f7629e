/// What a subscription delivers: events, and markers where events may have been lost.
public enum SubscriptionItem: Sendable {
    /// An event of one of the subscription's streams.
    case event(TaskwireEvent)
    /// After a reconnect, the server could not replay what `stream` missed (its history moved on,
    /// or the server restarted): events may be missing here. Reload the state you derive from
    /// this stream (for task streams, `GET /api/v1/tasks`); the events after this are live.
    case gap(stream: String)

    /// The event, if this item is one.
    public var event: TaskwireEvent? {
        if case .event(let event) = self { return event }
        return nil
    }
}

/// A scoped subscription to one or more streams: an `AsyncSequence` of ``SubscriptionItem``s
/// (or just of events, through ``events``).
///
/// It ends the server-side subscription when it goes away: through ``cancel()`` (or
/// ``unsubscribe()``, which also waits for the server's ack), when the last reference to it is
/// released, or when the closure of ``TaskwireClient/withSubscription(to:_:)`` returns. Several
/// subscriptions may share a stream; the client unsubscribes from a stream on the server only
/// when none wants it any more. Items are buffered without bound until read.
public final class Subscription: AsyncSequence, Sendable {
    public typealias Element = SubscriptionItem
    public typealias Failure = any Error

    /// The streams this subscription receives.
    public let streams: [String]
    let id: UInt64
    private let client: TaskwireClient
    private let items: AsyncThrowingStream<SubscriptionItem, any Error>

    init(id: UInt64, streams: [String], client: TaskwireClient, items: AsyncThrowingStream<SubscriptionItem, any Error>) {
        self.id = id
        self.streams = streams
        self.client = client
        self.items = items
    }

    deinit {
        client.removeSubscriber(id)
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<SubscriptionItem, any Error>.AsyncIterator {
        items.makeAsyncIterator()
    }

    /// The events alone, without ``SubscriptionItem/gap(stream:)`` markers.
    public var events: some AsyncSequence<TaskwireEvent, any Error> {
        items.compactMap { $0.event }
    }

    /// Stops the subscription at once: the sequence ends, and the server is told (without
    /// waiting for its answer) when no other subscription wants these streams.
    public func cancel() {
        client.removeSubscriber(id)
    }

    /// Stops the subscription and waits until the server has removed the streams no other
    /// subscription wants (its `ack`). Between connections there is nothing to tell the server.
    ///
    /// - Throws: ``TaskwireClientError`` when the server answers with an error or not in time.
    public func unsubscribe() async throws {
        try await client.removeSubscriberAndWait(id)
    }
}

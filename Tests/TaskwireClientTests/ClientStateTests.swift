import NIOWebSocket
@testable import TaskwireClient
import TaskwireProtocol
import Testing

/// The bookkeeping behind subscriptions: shared streams, positions, deduplication, resubscription.
@Suite struct ClientStateTests {
    private func event(_ stream: String, _ seq: UInt64, epoch: String = "e1") -> TaskwireEvent {
        TaskwireEvent(.object([
            "type": .string("custom"), "data": .null, "event_type": .string(stream),
            "seq": .number(String(seq)), "epoch": .string(epoch),
        ]))!
    }

    @Test func aStreamIsSubscribedOnceAndDroppedWithItsLastSubscriber() {
        var state = ClientState()
        let (_, first) = AsyncThrowingStream<SubscriptionItem, any Error>.makeStream()
        let (_, second) = AsyncThrowingStream<SubscriptionItem, any Error>.makeStream()
        #expect(state.addSubscriber(id: 1, streams: ["a", "b"], continuation: first) == ["a", "b"])
        #expect(state.addSubscriber(id: 2, streams: ["b", "c"], continuation: second) == ["c"])
        #expect(state.removeSubscriber(id: 1).1 == ["a"])
        #expect(state.removeSubscriber(id: 2).1 == ["b", "c"])
        #expect(state.removeSubscriber(id: 2).1 == [], "removing twice is harmless")
    }

    @Test func eventsAreDeliveredOnceInOrderPerStream() {
        var state = ClientState()
        let (_, continuation) = AsyncThrowingStream<SubscriptionItem, any Error>.makeStream()
        _ = state.addSubscriber(id: 1, streams: ["a"], continuation: continuation)
        #expect(state.accept(event("a", 1)).count == 1)
        #expect(state.accept(event("a", 2)).count == 1)
        #expect(state.accept(event("a", 2)).isEmpty, "a duplicate")
        #expect(state.accept(event("a", 1)).isEmpty, "an old one")
        #expect(state.accept(event("a", 1, epoch: "e2")).count == 1, "a new epoch starts again")
        #expect(state.accept(event("other", 1)).isEmpty, "a stream no one wants")
        #expect(state.positions["a"] == StreamPosition(seq: 1, epoch: "e2"))
    }

    @Test func aReconnectResubscribesEveryStreamSinceItsLastEvent() throws {
        var state = ClientState()
        let (_, continuation) = AsyncThrowingStream<SubscriptionItem, any Error>.makeStream()
        _ = state.addSubscriber(id: 1, streams: ["a", "quiet"], continuation: continuation)
        _ = state.accept(event("a", 5))
        let resubscribe = try #require(state.connected(handle())?.resubscribe)
        #expect(resubscribe.1 == ["a", "quiet"])
        #expect(resubscribe.2 == ["a": StreamPosition(seq: 5, epoch: "e1")], "a stream without events resumes live")
        #expect(state.resubscription?.id == resubscribe.0)
        _ = state.close()
        #expect(state.connected(handle()) == nil, "a closed client takes no connection")
    }

    private func handle() -> ConnectionHandle {
        let (_, outbound) = AsyncStream<WebSocketFrame>.makeStream()
        return ConnectionHandle(id: 1, welcome: Welcome(.object([:])), outbound: outbound)
    }
}

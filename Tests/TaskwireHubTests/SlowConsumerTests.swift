import MetricsTestKit
import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct SlowConsumerTests {
    private func seqs(_ peer: Peer) -> [Int64?] {
        peer.transport.take().map { $0.int("seq") }
    }

    @Test func aWritableClientGetsEveryEventInOrder() throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 4 }
        let peer = try fixture.connected(subscriptions: ["news"])
        for i in 1...100 { try fixture.publish("\(i)", to: "news") }
        let events = peer.transport.take()
        #expect(events.map { $0.int("seq") } == (1...100).map { Int64($0) })
        #expect(events.map { $0["data"] } == (1...100).map { JSONValue.number("\($0)") })
        #expect(peer.transport.closeCode == nil)
    }

    @Test func outputIsHeldWhileNotWritableAndDeliveredInOrderOnResume() async throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 8 }
        let peer = try fixture.connected(subscriptions: ["news", "sport"])
        peer.transport.isWritable = false
        for i in 1...5 { try fixture.publish("\(i)", to: "news") }
        for i in 1...3 { try fixture.publish("\(i)", to: "sport") }
        let flushes = peer.transport.flushCount
        #expect(peer.transport.messages.isEmpty)

        // Still within the bound: the heartbeat leaves it alone.
        #expect(await fixture.hub.heartbeat() == [])
        #expect(peer.transport.closeCode == nil)

        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        let events = peer.transport.take()
        let news = events.filter { $0.string("event_type") == "news" }.map { $0.int("seq") }
        let sport = events.filter { $0.string("event_type") == "sport" }.map { $0.int("seq") }
        #expect(news == [1, 2, 3, 4, 5])
        #expect(sport == [1, 2, 3])
        #expect(events.count == 8)
        #expect(peer.transport.flushCount > flushes)
        #expect(peer.transport.closeCode == nil)
    }

    @Test func exactlyTheBoundIsStillDelivered() throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 4 }
        let peer = try fixture.connected(subscriptions: ["news"])
        peer.transport.isWritable = false
        for i in 1...4 { try fixture.publish("\(i)", to: "news") }
        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        #expect(seqs(peer) == [1, 2, 3, 4])
        #expect(peer.transport.closeCode == nil)
    }

    @Test func directMessagesWaitBeforeStreamMessages() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["news"])
        peer.transport.isWritable = false
        try fixture.publish("1", to: "news")
        fixture.send(#"{"type":"ping","id":1}"#, from: peer)
        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        #expect(peer.transport.take().map(\.messageType) == ["pong", "custom"])
    }

    @Test func thePublishThatPassesTheBoundClosesWith4003() async throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 4 }
        let peer = try fixture.connected(subscriptions: ["news"])
        let reader = try fixture.connected(shard: 1, subscriptions: ["news"])
        peer.transport.isWritable = false
        for i in 1...4 { try fixture.publish("\(i)", to: "news") }
        #expect(peer.transport.closeCode == nil, "at the bound, not past it")
        try fixture.publish("5", to: "news")
        #expect(peer.transport.closeCode == .slowConsumer)
        #expect(reader.transport.take().compactMap { $0.int("seq") } == [1, 2, 3, 4, 5])
        #expect(reader.transport.closeCode == nil)

        #expect(await fixture.hub.heartbeat() == [])
        #expect(peer.client.currentState == .disconnecting)
        #expect(peer.transport.messages.isEmpty)
        #expect(fixture.hub.metricsSnapshot().slowConsumerDisconnects == 1)
        #expect(fixture.metrics.counterTotal(label: "taskwire_slow_consumer_disconnects_total") == 1)
    }

    @Test func overTheBoundResumingClosesWith4003() throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 4 }
        let peer = try fixture.connected(subscriptions: ["news"])
        peer.transport.isWritable = false
        for i in 1...5 { try fixture.publish("\(i)", to: "news") }
        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        #expect(peer.transport.closeCode == .slowConsumer)
        // It never receives a stream with a gap.
        #expect(peer.transport.messages.isEmpty)
        #expect(fixture.hub.metricsSnapshot().slowConsumerDisconnects == 1)
    }

    @Test func theByteBoundAppliesToo() throws {
        let fixture = HubFixture {
            $0.outboundQueueMessages = 1000
            $0.outboundQueueBytes = 500
        }
        let data = "\"" + String(repeating: "x", count: 140) + "\""
        let within = try fixture.connected(shard: 0, subscriptions: ["small"])
        let over = try fixture.connected(shard: 1, subscriptions: ["big"])
        within.transport.isWritable = false
        over.transport.isWritable = false
        for _ in 0..<2 { try fixture.publish(data, to: "small") }  // about 440 bytes
        for _ in 0..<3 { try fixture.publish(data, to: "big") }  // about 660 bytes
        for peer in [within, over] {
            peer.transport.isWritable = true
            fixture.hub.resumeOutput(of: peer.client)
        }
        #expect(seqs(within) == [1, 2])
        #expect(within.transport.closeCode == nil)
        #expect(over.transport.closeCode == .slowConsumer)
    }

    @Test func tooManyDirectMessagesCloseWith4003() throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 4 }
        let peer = try fixture.connected()
        peer.transport.isWritable = false
        for i in 0..<4 { fixture.send(#"{"type":"ping","id":\#(i)}"#, from: peer) }
        #expect(peer.transport.closeCode == nil)
        fixture.send(#"{"type":"ping","id":4}"#, from: peer)
        #expect(peer.transport.closeCode == .slowConsumer)
    }

    @Test func aSlowConsumerDoesNotHoldBackOthers() async throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 4 }
        let slow = try fixture.connected(shard: 0, subscriptions: ["news"])
        let sameShard = try fixture.connected(shard: 0, subscriptions: ["news"])
        let otherShard = try fixture.connected(shard: 1, subscriptions: ["news"])
        slow.transport.isWritable = false
        for i in 1...10 { try fixture.publish("\(i)", to: "news") }
        await fixture.hub.heartbeat()
        #expect(slow.transport.closeCode == .slowConsumer)
        #expect(seqs(sameShard) == (1...10).map { Int64($0) })
        #expect(seqs(otherShard) == (1...10).map { Int64($0) })
        #expect(sameShard.transport.closeCode == nil)
        #expect(otherShard.transport.closeCode == nil)
    }

    @Test func aNewSubscriberDoesNotGetTheBacklogOfAnother() throws {
        let fixture = HubFixture()
        let behind = try fixture.connected(shard: 0, subscriptions: ["news"])
        behind.transport.isWritable = false
        try fixture.publish("1", to: "news")
        try fixture.publish("2", to: "news")
        let late = try fixture.connected(shard: 0, subscriptions: ["news"])
        try fixture.publish("3", to: "news")
        #expect(seqs(late) == [3])
        behind.transport.isWritable = true
        fixture.hub.resumeOutput(of: behind.client)
        #expect(seqs(behind) == [1, 2, 3])
    }

    @Test func aLargeBacklogIsSentOverSeveralRoundsInOrder() throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 1000 }
        let peer = try fixture.connected(subscriptions: ["news"])
        peer.transport.isWritable = false
        let data = "\"" + String(repeating: "y", count: 1000) + "\""
        for _ in 1...300 { try fixture.publish(data, to: "news") }  // about 320 KB
        let flushes = peer.transport.flushCount
        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        #expect(seqs(peer) == (1...300).map { Int64($0) })
        #expect(peer.transport.flushCount - flushes > 1)
        #expect(fixture.hub.metricsSnapshot().messagesSent == 301)
    }

    @Test func resumingWithNothingWaitingWritesNothing() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["news"])
        let flushes = peer.transport.flushCount
        fixture.hub.resumeOutput(of: peer.client)
        #expect(peer.transport.messages.isEmpty)
        #expect(peer.transport.flushCount == flushes)
    }
}

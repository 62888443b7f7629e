import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct SubscriptionTests {
    @Test func subscribingIsIdempotentAndKeepsNoDuplicates() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        let news = try stream("news")
        #expect(try fixture.hub.subscribe(peer.client, to: [news, news, try stream("bench")]) == ["bench", "news"])
        #expect(try fixture.hub.subscribe(peer.client, to: [news]) == ["bench", "news"])
        #expect(peer.client.subscribedStreams == ["bench", "news"])

        try fixture.publish("1", to: "news")
        #expect(peer.transport.take().count == 1)
    }

    @Test func subscribeMessageIsAckedWithAllSubscriptions() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["a"])
        fixture.send(#"{"type":"subscribe","id":1,"event_types":["c","b","c"]}"#, from: peer)
        let ack = try #require(peer.transport.take().first)
        #expect(ack.memberNames == ["id", "subscriptions", "type"])
        #expect(ack.messageType == "ack")
        #expect(ack.int("id") == 1)
        #expect(ack.strings("subscriptions") == ["a", "b", "c"])

        fixture.send(#"{"type":"subscribe","id":2,"event_types":["b"]}"#, from: peer)
        #expect(peer.transport.take().first?.strings("subscriptions") == ["a", "b", "c"])
    }

    @Test func subscribeWithoutAnIDIsSilent() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.send(#"{"type":"subscribe","event_types":["news"]}"#, from: peer)
        #expect(peer.transport.messages.isEmpty)
        #expect(peer.client.subscribedStreams == ["news"])
    }

    @Test func oneInvalidNameAddsNothing() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["keep"])
        fixture.send(#"{"type":"subscribe","id":"s","event_types":["good","bad name!","task:"]}"#, from: peer)
        let error = try #require(peer.transport.take().first)
        #expect(error.messageType == "error")
        #expect(error.string("code") == "invalid_event_type")
        #expect(error.string("id") == "s")
        #expect(error.string("message")?.contains("bad name!") == true)
        #expect(peer.client.subscribedStreams == ["keep"])

        try fixture.publish("1", to: "good")
        #expect(peer.transport.messages.isEmpty)
    }

    @Test func anEmptyListIsABadMessage() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.send(#"{"type":"subscribe","id":1,"event_types":[]}"#, from: peer)
        let error = try #require(peer.transport.take().first)
        #expect(error.string("code") == "bad_message")
        #expect(error.int("id") == 1)
    }

    @Test func aSubscriptionSeesOnlyEventsPublishedAfterIt() throws {
        let fixture = HubFixture()
        let early = try fixture.connected(shard: 0, subscriptions: ["news"])
        try fixture.publish("1", to: "news")
        try fixture.publish("2", to: "news")
        let late = try fixture.connected(shard: 0)
        fixture.send(#"{"type":"subscribe","event_types":["news"]}"#, from: late)
        try fixture.publish("3", to: "news")
        #expect(early.transport.take().map { $0.int("seq") } == [1, 2, 3])
        #expect(late.transport.take().map { $0.int("seq") } == [3])
    }

    @Test func unsubscribingStopsDeliveryAndIsIdempotent() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(shard: 1, subscriptions: ["news", "sport"])
        fixture.send(#"{"type":"unsubscribe","id":7,"event_types":["news","never"]}"#, from: peer)
        let ack = try #require(peer.transport.take().first)
        #expect(ack.messageType == "ack")
        #expect(ack.int("id") == 7)
        #expect(ack.strings("subscriptions") == ["sport"])

        fixture.send(#"{"type":"unsubscribe","id":8,"event_types":["news"]}"#, from: peer)
        #expect(peer.transport.take().first?.strings("subscriptions") == ["sport"])

        try fixture.publish("1", to: "news")
        try fixture.publish("2", to: "sport")
        let events = peer.transport.take()
        #expect(events.map { $0.string("event_type") } == ["sport"])
    }

    @Test func unsubscribeWithAnInvalidNameIsAnError() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["news"])
        fixture.send(#"{"type":"unsubscribe","id":9,"event_types":["news","no spaces"]}"#, from: peer)
        let error = try #require(peer.transport.take().first)
        #expect(error.string("code") == "invalid_event_type")
        #expect(error.int("id") == 9)
        #expect(peer.client.subscribedStreams == ["news"])
    }

    @Test func resubscribingContinuesTheNumberingWithoutReplays() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["news"])
        try fixture.publish("1", to: "news")
        fixture.hub.unsubscribe(peer.client, from: [try stream("news")])
        try fixture.publish("2", to: "news")
        _ = try fixture.hub.subscribe(peer.client, to: [try stream("news")])
        try fixture.publish("3", to: "news")
        #expect(peer.transport.take().map { $0.int("seq") } == [1, 3])
    }

    @Test func thePerConnectionLimitIsAllOrNothing() throws {
        let fixture = HubFixture { $0.maxSubscriptionsPerConnection = 3 }
        let peer = try fixture.connected(subscriptions: ["a", "b"])
        // Already held names do not count twice.
        #expect(try fixture.hub.subscribe(peer.client, to: [try stream("a"), try stream("b"), try stream("c")]) == ["a", "b", "c"])

        fixture.send(#"{"type":"subscribe","id":4,"event_types":["a","d"]}"#, from: peer)
        let error = try #require(peer.transport.take().first)
        #expect(error.messageType == "error")
        #expect(error.string("code") == "forbidden")
        #expect(error.int("id") == 4)
        #expect(peer.client.subscribedStreams == ["a", "b", "c"])

        fixture.send(#"{"type":"unsubscribe","event_types":["a"]}"#, from: peer)
        fixture.send(#"{"type":"subscribe","id":5,"event_types":["d"]}"#, from: peer)
        #expect(peer.transport.take().first?.strings("subscriptions") == ["b", "c", "d"])
    }

    @Test func querySubscriptionsPastTheLimitAreRefused() throws {
        let fixture = HubFixture {
            $0.maxSubscriptionsPerConnection = 1
            $0.maxConnections = 1
        }
        #expect(throws: TaskwireError.self) { try fixture.connect(subscriptions: ["a", "b"]) }
        // The refused connection holds no slot.
        _ = try fixture.connect(subscriptions: ["a"])
    }

    @Test func subscribeByIDFromAnyContext() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(shard: 1)
        #expect(try await fixture.hub.subscribe(clientID: peer.id, to: [try stream("x"), try stream("y")]) == ["x", "y"])
        #expect(try await fixture.hub.unsubscribe(clientID: peer.id, from: [try stream("x")]) == ["y"])
        #expect(await fixture.hub.connection(peer.id)?.subscriptions == ["y"])
        do {
            _ = try await fixture.hub.subscribe(clientID: "nobody", to: [try stream("x")])
            Issue.record("subscribed an unknown client")
        } catch {
            #expect(error.code == .notFound)
        }
    }

    @Test func recoveredTellsWhetherTheClientMissedNothing() throws {
        let fixture = HubFixture()
        try fixture.publish("1", to: "news")
        try fixture.publish("2", to: "news")
        let position = fixture.hub.position(of: try stream("news"))
        let peer = try fixture.connected()
        let since = #"{"news":{"seq":2,"epoch":""# + position.epoch + #""},"sport":{"seq":0,"epoch":"stale"}}"#
        fixture.send(#"{"type":"subscribe","id":1,"event_types":["news","sport"],"since":"# + since + "}", from: peer)
        let ack = try #require(peer.transport.take().first)
        #expect(ack.memberNames == ["id", "recovered", "resync", "subscriptions", "type"])
        #expect(ack["recovered"] == .object(["news": .bool(true), "sport": .bool(false)]))
        // Only the stream not recovered is listed, with where it stands (no snapshot: custom).
        let sport = fixture.hub.position(of: try stream("sport"))
        #expect(ack["resync"] == .object(["sport": .object(["seq": .number("0"), "epoch": .string(sport.epoch)])]))
        try fixture.publish("3", to: "news")
        #expect(peer.transport.take().map { $0.int("seq") } == [3])
    }

    @Test func sinceMayNameOnlyStreamsBeingSubscribed() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.send(#"{"type":"subscribe","id":2,"event_types":["a"],"since":{"b":{"seq":1,"epoch":"e"}}}"#, from: peer)
        let error = try #require(peer.transport.take().first)
        #expect(error.string("code") == "bad_message")
        #expect(error.int("id") == 2)
        #expect(peer.client.subscribedStreams.isEmpty)
    }

    @Test func removingAConnectionDropsItsSubscriptions() throws {
        let fixture = HubFixture()
        let gone = try fixture.connected(shard: 0, subscriptions: ["news"])
        let stays = try fixture.connected(shard: 1, subscriptions: ["news"])
        fixture.hub.removeConnection(gone.client)
        try fixture.publish("1", to: "news")
        #expect(gone.transport.messages.isEmpty)
        #expect(stays.transport.take().count == 1)
    }
}

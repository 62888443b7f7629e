import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct MessageHandlingTests {
    @Test func pingIsAnsweredWithPongEchoingTheID() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.send(#"{"type":"ping","id":42}"#, from: peer)
        fixture.send(#"{"type":"ping","id":"p-1"}"#, from: peer)
        fixture.send(#"{"type":"ping"}"#, from: peer)
        let messages = peer.transport.take()
        #expect(messages == [
            .object(["type": .string("pong"), "id": .number("42")]),
            .object(["type": .string("pong"), "id": .string("p-1")]),
            .object(["type": .string("pong")]),
        ])
    }

    @Test(arguments: ["not json", "", "[1,2]", #"{"id":1}"#, #"{"type":7}"#, #"{"type":"subscribe"}"#, "{\"type\":\"ping\"} x"])
    func badMessagesAreAnsweredWithBadMessageAndTheConnectionStaysOpen(_ text: String) throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.send(text, from: peer)
        let error = try #require(peer.transport.take().first)
        #expect(error.memberNames == ["code", "id", "message", "type"])
        #expect(error.messageType == "error")
        #expect(error.string("code") == "bad_message")
        #expect(peer.transport.closeCode == nil)
        #expect(peer.client.currentState == .connected)

        fixture.send(#"{"type":"ping","id":1}"#, from: peer)
        #expect(peer.transport.take().first?.messageType == "pong")
    }

    @Test func anErrorEchoesTheRequestIDWhenItCanBeRead() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.send(#"{"id":11,"event_types":["a"]}"#, from: peer)
        fixture.send(#"{"id":"x","type":"nope"}"#, from: peer)
        fixture.send("{\"id\":12,\"type\":\"ping\"", from: peer)
        fixture.send(#"{"id":1.5,"type":"ping"}"#, from: peer)
        let errors = peer.transport.take()
        #expect(errors.map { $0.string("code") } == ["bad_message", "unknown_type", "bad_message", "bad_message"])
        #expect(errors.map { $0["id"] } == [.number("11"), .string("x"), .null, .null])
    }

    @Test func unknownTypesAreAnsweredWithUnknownType() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.send(#"{"type":"publish","id":3}"#, from: peer)
        let error = try #require(peer.transport.take().first)
        #expect(error.string("code") == "unknown_type")
        #expect(error.int("id") == 3)
    }

    @Test func moreThanMaxBadMessagesInAMinuteClosesWithPolicyViolation() throws {
        let fixture = HubFixture { $0.maxBadMessages = 3 }
        let peer = try fixture.connected()
        for _ in 0..<3 { fixture.send("oops", from: peer) }
        #expect(peer.transport.closeCode == nil)
        fixture.clock.advance(by: .seconds(59))
        fixture.send(#"{"type":"nope"}"#, from: peer)
        #expect(peer.transport.closeCode == .policyViolation)
        #expect(peer.client.currentState == .disconnecting)
        // Every error was answered, the one that closed it too.
        #expect(peer.transport.take().map { $0.messageType } == ["error", "error", "error", "error"])

        // Nothing more is read from a closing connection.
        fixture.send(#"{"type":"ping"}"#, from: peer)
        #expect(peer.transport.messages.isEmpty)
    }

    @Test func everyKindOfErrorCountsTowardsTheLimit() throws {
        let fixture = HubFixture { $0.maxBadMessages = 2 }
        let peer = try fixture.connected()
        fixture.send(#"{"type":"custom","event_type":"task_updated","data":1}"#, from: peer)
        fixture.send(#"{"type":"subscribe","event_types":["bad name"]}"#, from: peer)
        #expect(peer.transport.closeCode == nil)
        fixture.send(#"{"type":"nope"}"#, from: peer)
        #expect(peer.transport.closeCode == .policyViolation)
    }

    @Test func goodMessagesDoNotCountTowardsTheLimit() throws {
        let fixture = HubFixture { $0.maxBadMessages = 1 }
        let peer = try fixture.connected()
        for i in 0..<50 { fixture.send(#"{"type":"ping","id":\#(i)}"#, from: peer) }
        fixture.send("bad", from: peer)
        #expect(peer.transport.closeCode == nil)
    }

    @Test func theBadMessageWindowResetsAfterSixtySeconds() throws {
        let fixture = HubFixture { $0.maxBadMessages = 3 }
        let peer = try fixture.connected()
        for _ in 0..<3 { fixture.send("oops", from: peer) }
        fixture.clock.advance(by: .seconds(60))
        for _ in 0..<3 { fixture.send("oops", from: peer) }
        #expect(peer.transport.closeCode == nil)
        fixture.send("oops", from: peer)
        #expect(peer.transport.closeCode == .policyViolation)
    }

    @Test func windowsAreCountedPerConnection() throws {
        let fixture = HubFixture { $0.maxBadMessages = 2 }
        let a = try fixture.connected(shard: 0)
        let b = try fixture.connected(shard: 0)
        for _ in 0..<2 { fixture.send("oops", from: a) }
        for _ in 0..<2 { fixture.send("oops", from: b) }
        #expect(a.transport.closeCode == nil)
        #expect(b.transport.closeCode == nil)
        fixture.send("oops", from: a)
        #expect(a.transport.closeCode == .policyViolation)
        #expect(b.transport.closeCode == nil)
    }

    @Test func aPongMessageAnswersAPing() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        try await fixture.hub.pingClient(peer.id)
        #expect(peer.transport.take() == [.object(["type": .string("ping")])])
        fixture.clock.advance(by: .seconds(3))
        fixture.send(#"{"type":"pong"}"#, from: peer)
        #expect(peer.transport.messages.isEmpty)
        let info = try #require(await fixture.hub.connection(peer.id))
        #expect(info.lastPing == fixture.clock.now())
        fixture.clock.advance(by: .seconds(30))
        #expect(await fixture.hub.checkTimeouts() == [])
    }

    @Test func handleDecodedMessagesDirectly() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.hub.handle(.subscribe(id: RequestID(1), streams: ["news"], since: [:]), from: peer.client)
        fixture.hub.handle(.ping(id: nil), from: peer.client)
        #expect(peer.transport.take().map(\.messageType) == ["ack", "pong"])
        #expect(peer.client.subscribedStreams == ["news"])
    }
}

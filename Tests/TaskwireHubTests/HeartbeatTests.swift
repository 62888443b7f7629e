import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

/// The standard configuration: ping every 30 s, pong within 10 s.
@Suite struct HeartbeatTests {
    @Test func heartbeatPingsOnlyWhenThePingIsDue() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        #expect(await fixture.hub.heartbeat() == [])
        fixture.clock.advance(by: .seconds(29))
        #expect(await fixture.hub.heartbeat() == [])
        #expect(peer.transport.messages.isEmpty)
        #expect(peer.transport.pingCount == 0)

        fixture.clock.advance(by: .seconds(1))
        #expect(await fixture.hub.heartbeat() == [])
        #expect(peer.transport.take() == [.object(["type": .string("ping")])])
        #expect(peer.transport.pingCount == 1)

        // Not again until the next interval.
        #expect(await fixture.hub.heartbeat() == [])
        #expect(peer.transport.pingCount == 1)
    }

    @Test func noPongWithinTheTimeoutClosesWith4002() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(shard: 1)
        fixture.clock.advance(by: .seconds(30))
        await fixture.hub.heartbeat()
        fixture.clock.advance(by: .seconds(9))
        #expect(await fixture.hub.heartbeat() == [])
        #expect(peer.transport.closeCode == nil)

        fixture.clock.advance(by: .seconds(2))
        #expect(await fixture.hub.heartbeat() == [peer.id])
        #expect(peer.transport.closeCode == .heartbeatTimeout)
        #expect(peer.client.currentState == .disconnecting)
        #expect(fixture.hub.metricsSnapshot().pingTimeouts == 1)

        // A closing connection is not timed out twice.
        fixture.clock.advance(by: .seconds(60))
        #expect(await fixture.hub.heartbeat() == [])
        #expect(fixture.hub.metricsSnapshot().pingTimeouts == 1)
    }

    @Test func theTimeoutRunsFromTheFirstUnansweredPing() async throws {
        let fixture = HubFixture { $0.pingInterval = .seconds(4) }
        let peer = try fixture.connected()
        fixture.clock.advance(by: .seconds(4))
        await fixture.hub.heartbeat()  // first ping
        fixture.clock.advance(by: .seconds(4))
        await fixture.hub.heartbeat()  // second ping, still no pong
        #expect(peer.transport.pingCount == 2)
        fixture.clock.advance(by: .seconds(6))  // 10 s after the first ping
        #expect(await fixture.hub.heartbeat() == [peer.id])
    }

    @Test func aPongClearsTheTimeout() async throws {
        let fixture = HubFixture()
        let viaMessage = try fixture.connected(shard: 0)
        let viaFrame = try fixture.connected(shard: 1)
        fixture.clock.advance(by: .seconds(30))
        await fixture.hub.heartbeat()
        fixture.clock.advance(by: .seconds(5))
        fixture.send(#"{"type":"pong"}"#, from: viaMessage)
        try await fixture.hub.handlePong(clientID: viaFrame.id)
        fixture.clock.advance(by: .seconds(20))
        #expect(await fixture.hub.heartbeat() == [])
        #expect(viaMessage.transport.closeCode == nil)
        #expect(viaFrame.transport.closeCode == nil)
        let infos = await fixture.hub.connections()
        #expect(infos.map(\.lastPing) == Array(repeating: fixture.clock.now() + .seconds(-20), count: 2))
    }

    @Test func aLaterUnansweredPingStillTimesOut() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.clock.advance(by: .seconds(30))
        await fixture.hub.heartbeat()
        fixture.hub.handlePong(peer.client)
        fixture.clock.advance(by: .seconds(30))
        await fixture.hub.heartbeat()  // the second ping
        fixture.clock.advance(by: .seconds(10))
        #expect(await fixture.hub.heartbeat() == [peer.id])
        #expect(peer.transport.pingCount == 2)
    }

    @Test func checkTimeoutsReturnsTheIDsWithoutPinging() async throws {
        let fixture = HubFixture()
        let a = try fixture.connected(shard: 0)
        let b = try fixture.connected(shard: 1)
        let quiet = try fixture.connected(shard: 1)
        try await fixture.hub.pingClient(a.id)
        fixture.hub.ping(b.client)
        #expect(a.transport.pingCount == 1)

        fixture.clock.advance(by: .seconds(9))
        #expect(await fixture.hub.checkTimeouts() == [])
        fixture.clock.advance(by: .seconds(31))
        #expect(Set(await fixture.hub.checkTimeouts()) == [a.id, b.id])
        #expect(a.transport.closeCode == .heartbeatTimeout)
        #expect(b.transport.closeCode == .heartbeatTimeout)
        // The quiet one's ping is overdue, but checking timeouts sends no pings.
        #expect(quiet.transport.pingCount == 0)
        #expect(quiet.transport.closeCode == nil)
        #expect(await fixture.hub.checkTimeouts() == [])
    }

    @Test func pingingAnUnknownClientFails() async throws {
        let fixture = HubFixture()
        do {
            try await fixture.hub.pingClient("nobody")
            Issue.record("pinged an unknown client")
        } catch {
            #expect(error.code == .notFound)
        }
    }

    @Test func aClosingConnectionIsNotPinged() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        await fixture.hub.disconnect(peer.id, reason: "bye")
        fixture.clock.advance(by: .seconds(60))
        await fixture.hub.heartbeat()
        fixture.hub.ping(peer.client)
        #expect(peer.transport.pingCount == 0)
        #expect(peer.transport.messages.isEmpty)
    }

    @Test func heartbeatCoversEveryShard() async throws {
        let fixture = HubFixture()
        let peers = try (0..<6).map { try fixture.connected(shard: $0 % 2) }
        fixture.clock.advance(by: .seconds(30))
        await fixture.hub.heartbeat()
        #expect(peers.allSatisfy { $0.transport.pingCount == 1 })
        fixture.hub.handlePong(peers[4].client)
        fixture.clock.advance(by: .seconds(10))
        let timedOut = await fixture.hub.heartbeat()
        #expect(Set(timedOut) == Set([0, 1, 2, 3, 5].map { peers[$0].id }))
        #expect(timedOut.count == 5)
        #expect(fixture.hub.metricsSnapshot().pingTimeouts == 5)
    }
}

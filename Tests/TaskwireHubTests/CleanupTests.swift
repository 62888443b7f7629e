import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

/// The standard configuration: a closing connection has 5 s to finish its close handshake.
@Suite struct CleanupTests {
    @Test func aConnectionStuckClosingIsCutAndRemovedAfterCloseTimeout() async throws {
        let fixture = HubFixture { $0.maxConnections = 2 }
        let stuck = try fixture.connected(shard: 1, subscriptions: ["news"])
        let healthy = try fixture.connected(shard: 0, subscriptions: ["news"])
        await fixture.hub.disconnect(stuck.id, reason: "admin")

        fixture.clock.advance(by: .seconds(4))
        #expect(await fixture.hub.cleanup() == 0)
        #expect(!stuck.transport.wasAborted)
        #expect(fixture.hub.connectionCount == 2)

        fixture.clock.advance(by: .seconds(1))
        #expect(await fixture.hub.cleanup() == 1)
        #expect(stuck.transport.wasAborted)
        #expect(stuck.client.currentState == .disconnected)
        #expect(await fixture.hub.connections().map(\.clientID) == [healthy.id])
        #expect(fixture.hub.metricsSnapshot().activeConnections == 1)
        #expect(fixture.hub.metricsSnapshot().averageConnectionDuration == 5)

        // Its slot is free and it no longer counts as a subscriber.
        _ = try fixture.connect()
        let body = ServerMessage.customBody(data: ByteBuffer(string: "1"))
        #expect(await fixture.hub.publishAndCount(body, to: try stream("news")) == 1)
        #expect(!healthy.transport.wasAborted)
    }

    @Test func cleanupLeavesConnectedClientsAlone() async throws {
        let fixture = HubFixture()
        let peers = try (0..<4).map { try fixture.connected(shard: $0 % 2) }
        fixture.clock.advance(by: .seconds(3600))
        #expect(await fixture.hub.cleanup() == 0)
        #expect(peers.allSatisfy { !$0.transport.wasAborted && $0.transport.closeCode == nil })
        #expect(fixture.hub.connectionCount == 4)
    }

    @Test func aFailedConnectionIsRemovedAtOnce() async throws {
        let fixture = HubFixture()
        let failed = try fixture.connected(shard: 0)
        let fine = try fixture.connected(shard: 1)
        fixture.hub.connectionFailed(failed.client)
        #expect(await fixture.hub.cleanup() == 1)
        #expect(failed.transport.wasAborted)
        #expect(failed.client.currentState == .error)
        #expect(await fixture.hub.connections().map(\.clientID) == [fine.id])
    }

    @Test func everyClosingPathEndsInCleanup() async throws {
        let fixture = HubFixture {
            $0.maxBadMessages = 0
            $0.outboundQueueMessages = 1
        }
        let bad = try fixture.connected(shard: 0)
        let slow = try fixture.connected(shard: 1, subscriptions: ["news"])
        let silent = try fixture.connected(shard: 0)
        fixture.send("bad", from: bad)
        slow.transport.isWritable = false
        try fixture.publish("1", to: "news")
        try fixture.publish("2", to: "news")
        fixture.hub.ping(silent.client)
        fixture.clock.advance(by: .seconds(10))
        await fixture.hub.heartbeat()
        #expect(bad.transport.closeCode == .policyViolation)
        #expect(slow.transport.closeCode == .slowConsumer)
        #expect(silent.transport.closeCode == .heartbeatTimeout)

        fixture.clock.advance(by: .seconds(4))
        // The bad one and the slow one (closed by the publish past its bound) have been closing for 14 s.
        #expect(await fixture.hub.cleanup() == 2)
        fixture.clock.advance(by: .seconds(6))
        #expect(await fixture.hub.cleanup() == 1)
        #expect(fixture.hub.connectionCount == 0)
        #expect([bad, slow, silent].allSatisfy { $0.transport.wasAborted })
    }

    @Test func aConnectionThatFinishesClosingInTimeIsNotAborted() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        await fixture.hub.disconnect(peer.id, reason: "bye")
        fixture.clock.advance(by: .seconds(1))
        fixture.hub.removeConnection(peer.client)  // the transport finished the close handshake
        fixture.clock.advance(by: .seconds(10))
        #expect(await fixture.hub.cleanup() == 0)
        #expect(!peer.transport.wasAborted)
    }

    @Test func subscribedStreamsKeepTheirNumberingThroughCleanup() async throws {
        let fixture = HubFixture()
        _ = try fixture.connected(subscriptions: ["news"])
        try fixture.publish("1", to: "news")
        let before = fixture.hub.position(of: try stream("news"))
        fixture.clock.advance(by: .seconds(3600))
        await fixture.hub.cleanup()
        #expect(fixture.hub.position(of: try stream("news")) == before)
        #expect(try fixture.publish("2", to: "news") == 2)
    }

    @Test func idleStreamsNobodyFollowsAreForgottenUnderANewEpoch() async throws {
        // Forgotten once the history has expired and the stream stayed idle for cleanup_interval.
        let fixture = HubFixture { $0.historyTTL = .seconds(20) }
        try fixture.publish("1", to: "idle")
        let before = fixture.hub.position(of: try stream("idle"))
        fixture.clock.advance(by: .seconds(30))
        await fixture.hub.cleanup()
        #expect(fixture.hub.position(of: try stream("idle")) == before)
        fixture.clock.advance(by: .seconds(31))
        await fixture.hub.cleanup()
        let after = fixture.hub.position(of: try stream("idle"))
        #expect(after.seq == 0)
        #expect(after.epoch != before.epoch)
    }

    @Test func shutdownTellsEveryClientAndRefusesNewOnes() async throws {
        let fixture = HubFixture { $0.shutdownGracePeriod = .zero }
        let peers = try (0..<4).map { try fixture.connected(shard: $0 % 2) }
        await fixture.hub.shutdown()
        #expect(peers.allSatisfy { $0.transport.closeCode == .goingAway && $0.transport.wasAborted })
        #expect(fixture.hub.connectionCount == 0)
        #expect(fixture.hub.metricsSnapshot().activeConnections == 0)
        #expect(!fixture.hub.reserveConnectionSlot())
        #expect(throws: TaskwireError.self) { try fixture.connect() }
    }
}

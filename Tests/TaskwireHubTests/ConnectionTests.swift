import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct ConnectionTests {
    @Test func welcomeIsTheFirstMessageWithEveryProtocolField() throws {
        let fixture = HubFixture()
        let peer = try fixture.connect(userID: "u1", sessionID: "s1", subscriptions: ["task:7", "bench", "task_updated"])
        let messages = peer.transport.parsedMessages
        let welcome = try #require(messages.first)
        #expect(messages.count == 1)
        #expect(welcome.memberNames == [
            "client_id", "max_message_size", "ping_interval_ms", "pong_timeout_ms", "server", "session_id", "subscriptions",
            "type", "user_id",
        ])
        #expect(welcome.messageType == "welcome")
        #expect(welcome.string("client_id") == peer.id)
        #expect(welcome.string("user_id") == "u1")
        #expect(welcome.string("session_id") == "s1")
        #expect(welcome.strings("subscriptions") == ["bench", "task:7", "task_updated"])
        #expect(welcome.int("ping_interval_ms") == 30000)
        #expect(welcome.int("pong_timeout_ms") == 10000)
        #expect(welcome.int("max_message_size") == 1_048_576)
        #expect(welcome.string("server") == "taskwire/\(TaskwireVersion.current)")
        #expect(peer.transport.flushCount >= 1)
    }

    @Test func welcomeReportsTheConfiguredNumbersAndNullIdentity() throws {
        let fixture = HubFixture { config in
            config = .highPerformance
        }
        let peer = try fixture.connect()
        let welcome = try #require(peer.transport.parsedMessages.first)
        #expect(welcome.int("ping_interval_ms") == 15000)
        #expect(welcome.int("pong_timeout_ms") == 5000)
        #expect(welcome.int("max_message_size") == 4_194_304)
        #expect(welcome["user_id"] == .null)
        #expect(welcome["session_id"] == .null)
        #expect(welcome.strings("subscriptions") == [])
    }

    @Test func querySubscriptionsAreActiveBeforeTheWelcomeArrives() throws {
        let fixture = HubFixture()
        let peer = try fixture.connect(subscriptions: ["bench"])
        try fixture.publish("1", to: "bench")
        let messages = peer.transport.parsedMessages
        #expect(messages.map(\.messageType) == ["welcome", "custom"])
        #expect(messages.last?.string("event_type") == "bench")
    }

    @Test func clientIDsAreUnique() throws {
        let fixture = HubFixture()
        var ids = Set<String>()
        for i in 0..<20 {
            ids.insert(try fixture.connect(shard: i % 2).id)
        }
        #expect(ids.count == 20)
        #expect(fixture.hub.connectionCount == 20)
    }

    @Test func connectionsPastTheLimitAreRefused() throws {
        let fixture = HubFixture { $0.maxConnections = 2 }
        _ = try fixture.connect(shard: 0)
        _ = try fixture.connect(shard: 1)
        #expect(throws: TaskwireError.self) { try fixture.connect(shard: 0) }
        #expect(!fixture.hub.reserveConnectionSlot())
        #expect(fixture.hub.connectionCount == 2)
    }

    @Test func removingAConnectionFreesItsSlotAtOnce() throws {
        let fixture = HubFixture { $0.maxConnections = 1 }
        let first = try fixture.connect()
        fixture.hub.removeConnection(first.client)
        #expect(fixture.hub.connectionCount == 0)
        let second = try fixture.connect(shard: 1)
        #expect(second.id != first.id)
    }

    @Test func removingTwiceIsHarmless() throws {
        let fixture = HubFixture { $0.maxConnections = 1 }
        let peer = try fixture.connect()
        fixture.hub.removeConnection(peer.client)
        fixture.hub.removeConnection(peer.client)
        #expect(fixture.hub.metricsSnapshot().activeConnections == 0)
        // The second removal must not have freed a second slot.
        _ = try fixture.connect()
        #expect(throws: TaskwireError.self) { try fixture.connect() }
    }

    @Test func aReservedSlotCountsAgainstTheLimit() throws {
        let fixture = HubFixture { $0.maxConnections = 1 }
        #expect(fixture.hub.reserveConnectionSlot())
        #expect(throws: TaskwireError.self) { try fixture.connect() }
        let transport = TestTransport()
        _ = try fixture.hub.addConnection(transport: transport, on: fixture.executors[0], slotReserved: true)
        #expect(transport.parsedMessages.first?.messageType == "welcome")
    }

    @Test func releasingAnUnusedSlotGivesItBack() throws {
        let fixture = HubFixture { $0.maxConnections = 1 }
        #expect(fixture.hub.reserveConnectionSlot())
        fixture.hub.releaseConnectionSlot()
        _ = try fixture.connect()
    }

    @Test func removedConnectionsReceiveNothingMore() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["news"])
        fixture.hub.removeConnection(peer.client)
        try fixture.publish("1", to: "news")
        #expect(await fixture.hub.broadcast(ByteBuffer(string: #"{"type":"custom","data":1}"#)) == 0)
        #expect(peer.transport.messages.isEmpty)
        #expect(peer.client.currentState == .disconnected)
    }

    @Test func connectionsListsEveryConnectionWithItsStateAndSubscriptions() async throws {
        let fixture = HubFixture()
        let a = try fixture.connect(shard: 0, userID: "alice", sessionID: "s-a", subscriptions: ["news", "bench"])
        fixture.clock.advance(by: .seconds(1))
        let b = try fixture.connect(shard: 1)
        fixture.clock.advance(by: .seconds(1))
        let c = try fixture.connect(shard: 0)
        await fixture.hub.disconnect(c.id, reason: "admin")

        let infos = await fixture.hub.connections()
        #expect(infos.map(\.clientID) == [a.id, b.id, c.id])
        #expect(infos[0].userID == "alice")
        #expect(infos[0].sessionID == "s-a")
        #expect(infos[0].subscriptions == ["bench", "news"])
        #expect(infos[0].state == .connected)
        #expect(infos[0].connectedAt == a.client.connectedAt)
        #expect(infos[0].lastPing == infos[0].connectedAt)
        #expect(infos[1].userID == nil)
        #expect(infos[1].subscriptions == [])
        #expect(infos[1].connectedAt.nanosecondsSinceEpoch - infos[0].connectedAt.nanosecondsSinceEpoch == 1_000_000_000)
        #expect(infos[2].state == .disconnecting)

        #expect(await fixture.hub.connection(b.id) == infos[1])
        fixture.hub.removeConnection(b.client)
        #expect(await fixture.hub.connection(b.id) == nil)
        #expect(await fixture.hub.connections().map(\.clientID) == [a.id, c.id])
    }

    @Test func disconnectClosesWithPolicyViolation() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(shard: 1)
        #expect(await fixture.hub.disconnect(peer.id, reason: "closed by an admin"))
        #expect(peer.transport.closeCode == .policyViolation)
        #expect(peer.client.currentState == .disconnecting)
        // Still registered until the transport reports it gone.
        #expect(fixture.hub.connectionCount == 1)
        fixture.hub.removeConnection(peer.client)
        #expect(fixture.hub.connectionCount == 0)
        #expect(peer.client.currentState == .disconnected)
    }

    @Test func disconnectingAnUnknownClientReportsFalse() async throws {
        let fixture = HubFixture()
        _ = try fixture.connect()
        #expect(await fixture.hub.disconnect("nobody", reason: "x") == false)
    }

    @Test func aClosingConnectionIgnoresFurtherMessages() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        await fixture.hub.disconnect(peer.id, reason: "bye")
        fixture.send(#"{"type":"ping","id":1}"#, from: peer)
        #expect(peer.transport.messages.isEmpty)
        #expect(fixture.hub.metricsSnapshot().messagesReceived == 0)
    }

    @Test func sendToClientReachesOnlyThatClient() async throws {
        let fixture = HubFixture()
        let a = try fixture.connected(shard: 0)
        let b = try fixture.connected(shard: 1)
        try await fixture.hub.sendToClient(b.id, ByteBuffer(string: #"{"type":"notification","title":"t"}"#))
        #expect(a.transport.messages.isEmpty)
        #expect(b.transport.messages == [#"{"type":"notification","title":"t"}"#])
    }

    @Test func sendToClientFailsForUnknownOrClosingClients() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        await #expect(throws: TaskwireError.self) {
            try await fixture.hub.sendToClient("nobody", ByteBuffer(string: "{}"))
        }
        await fixture.hub.disconnect(peer.id, reason: "bye")
        do {
            try await fixture.hub.sendToClient(peer.id, ByteBuffer(string: "{}"))
            Issue.record("sent to a closing connection")
        } catch {
            #expect(error.code == .forbidden)
        }
        #expect(peer.transport.messages.isEmpty)
    }
}

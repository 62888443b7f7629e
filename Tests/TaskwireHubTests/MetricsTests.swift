import MetricsTestKit
import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct MetricsTests {
    @Test func aNewHubReportsNothing() {
        let fixture = HubFixture()
        let snapshot = fixture.hub.metricsSnapshot()
        #expect(snapshot.totalConnections == 0)
        #expect(snapshot.activeConnections == 0)
        #expect(snapshot.messagesSent == 0)
        #expect(snapshot.messagesReceived == 0)
        #expect(snapshot.connectionErrors == 0)
        #expect(snapshot.pingTimeouts == 0)
        #expect(snapshot.slowConsumerDisconnects == 0)
        #expect(snapshot.averageConnectionDuration == 0)
        #expect(snapshot.connectionSuccessRate == 1)
        #expect(snapshot.messageThroughput == 0)
    }

    @Test func countsTotalAndActiveConnections() throws {
        let fixture = HubFixture()
        let peers = try (0..<4).map { try fixture.connect(shard: $0 % 2) }
        fixture.hub.removeConnection(peers[0].client)
        fixture.hub.removeConnection(peers[3].client)
        fixture.hub.removeConnection(peers[3].client)
        _ = try fixture.connect(shard: 1)
        let snapshot = fixture.hub.metricsSnapshot()
        #expect(snapshot.totalConnections == 5)
        #expect(snapshot.activeConnections == 3)
        #expect(try fixture.metrics.expectCounter("taskwire_ws_connections_total").totalValue == 5)
        #expect(try fixture.metrics.expectGauge("taskwire_ws_connections").lastValue == 3)
    }

    @Test func messagesSentCountsEveryMessageWrittenToAClient() async throws {
        let fixture = HubFixture()
        let a = try fixture.connect(shard: 0, subscriptions: ["news"])
        _ = try fixture.connect(shard: 1, subscriptions: ["news"])
        _ = try fixture.connect(shard: 1)
        #expect(fixture.hub.metricsSnapshot().messagesSent == 3)  // the welcomes

        try fixture.publish("1", to: "news")
        #expect(fixture.hub.metricsSnapshot().messagesSent == 5)
        await fixture.hub.broadcast(ByteBuffer(string: #"{"type":"notification"}"#))
        #expect(fixture.hub.metricsSnapshot().messagesSent == 8)
        fixture.send(#"{"type":"ping","id":1}"#, from: a)
        #expect(fixture.hub.metricsSnapshot().messagesSent == 9)

        // Nothing is counted until it is written.
        a.transport.isWritable = false
        try fixture.publish("2", to: "news")
        #expect(fixture.hub.metricsSnapshot().messagesSent == 10)
        a.transport.isWritable = true
        fixture.hub.resumeOutput(of: a.client)
        #expect(fixture.hub.metricsSnapshot().messagesSent == 11)

        #expect(fixture.metrics.counterTotal(label: "taskwire_messages_sent_total") == 11)
    }

    @Test func messagesReceivedCountsEveryTextFromAConnectedClient() async throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        fixture.send(#"{"type":"ping"}"#, from: peer)
        fixture.send("garbage", from: peer)
        fixture.send(#"{"type":"subscribe","event_types":["a"]}"#, from: peer)
        #expect(fixture.hub.metricsSnapshot().messagesReceived == 3)
        await fixture.hub.disconnect(peer.id, reason: "bye")
        fixture.send(#"{"type":"ping"}"#, from: peer)
        #expect(fixture.hub.metricsSnapshot().messagesReceived == 3)
        #expect(fixture.metrics.counterTotal(label: "taskwire_messages_received_total") == 3)
    }

    @Test func refusedAndFailedConnectionsAreConnectionErrors() throws {
        let fixture = HubFixture { $0.maxConnections = 2 }
        let peer = try fixture.connect()
        _ = try fixture.connect()
        #expect(throws: TaskwireError.self) { try fixture.connect() }
        #expect(fixture.hub.metricsSnapshot().connectionErrors == 1)
        fixture.hub.recordConnectionError()
        fixture.hub.connectionFailed(peer.client)
        fixture.hub.connectionFailed(peer.client)  // counted once
        let snapshot = fixture.hub.metricsSnapshot()
        #expect(snapshot.connectionErrors == 3)
        // Attempts that failed before registering (the refusal, the recorded error) count as attempts.
        #expect(snapshot.totalConnections == 4)
        #expect(snapshot.connectionSuccessRate == 0.25)
        #expect(peer.client.currentState == .error)
        #expect(fixture.metrics.counterTotal(label: "taskwire_connection_errors_total") == 3)
    }

    @Test func connectionSuccessRateIsTotalMinusErrorsOverTotal() throws {
        let fixture = HubFixture()
        let peers = try (0..<4).map { try fixture.connect(shard: $0 % 2) }
        #expect(fixture.hub.metricsSnapshot().connectionSuccessRate == 1)
        fixture.hub.connectionFailed(peers[2].client)
        #expect(fixture.hub.metricsSnapshot().connectionSuccessRate == 0.75)
    }

    @Test func pingTimeoutsAreCounted() async throws {
        let fixture = HubFixture()
        let a = try fixture.connected(shard: 0)
        let b = try fixture.connected(shard: 1)
        fixture.hub.ping(a.client)
        fixture.hub.ping(b.client)
        fixture.clock.advance(by: .seconds(10))
        await fixture.hub.checkTimeouts()
        await fixture.hub.checkTimeouts()
        #expect(fixture.hub.metricsSnapshot().pingTimeouts == 2)
        #expect(fixture.metrics.counterTotal(label: "taskwire_ping_timeouts_total") == 2)
    }

    @Test func averageConnectionDurationUsesTheClock() throws {
        let fixture = HubFixture()
        let a = try fixture.connect()
        fixture.clock.advance(by: .seconds(10))
        let b = try fixture.connect(shard: 1)
        fixture.hub.removeConnection(a.client)  // lived 10 s
        fixture.clock.advance(by: .seconds(30))
        fixture.hub.removeConnection(b.client)  // lived 30 s
        _ = try fixture.connect()  // still open: not counted
        fixture.clock.advance(by: .seconds(100))
        #expect(fixture.hub.metricsSnapshot().averageConnectionDuration == 20)
        let timer = try fixture.metrics.expectTimer("taskwire_ws_connection_duration_seconds")
        #expect(timer.values == [10_000_000_000, 30_000_000_000])
    }

    @Test func averageConnectionDurationHasSubSecondPrecision() throws {
        let fixture = HubFixture()
        let a = try fixture.connect()
        fixture.clock.advance(by: .milliseconds(1500))
        fixture.hub.removeConnection(a.client)
        #expect(fixture.hub.metricsSnapshot().averageConnectionDuration == 1.5)
    }

    @Test func throughputIsMessagesSentPerSecondOverTheLastMinute() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["news"])  // 1 message: the welcome
        #expect(fixture.hub.metricsSnapshot().messageThroughput == 0)
        fixture.clock.advance(by: .seconds(30))
        for i in 0..<59 { try fixture.publish("\(i)", to: "news") }
        #expect(peer.transport.messages.count == 59)
        fixture.hub.sampleMetrics()
        fixture.clock.advance(by: .seconds(30))
        // 60 messages over the first minute.
        #expect(fixture.hub.metricsSnapshot().messageThroughput == 1)
        fixture.hub.sampleMetrics()

        // A minute later with nothing sent, the window holds nothing.
        fixture.clock.advance(by: .seconds(30))
        fixture.hub.sampleMetrics()
        #expect(fixture.hub.metricsSnapshot().messageThroughput == 0)
        fixture.clock.advance(by: .seconds(30))
        fixture.hub.sampleMetrics()
        #expect(fixture.hub.metricsSnapshot().messageThroughput == 0)

        // 120 messages in the last half minute: 2 per second over the minute.
        for i in 0..<120 { try fixture.publish("\(i)", to: "news") }
        fixture.clock.advance(by: .seconds(30))
        fixture.hub.sampleMetrics()
        #expect(fixture.hub.metricsSnapshot().messageThroughput == 2)
    }

    @Test func throughputBeforeAFullMinuteIsOverTheTimeElapsed() throws {
        let fixture = HubFixture()
        _ = try fixture.connected(subscriptions: ["news"])
        for i in 0..<9 { try fixture.publish("\(i)", to: "news") }
        fixture.clock.advance(by: .seconds(5))
        #expect(fixture.hub.metricsSnapshot().messageThroughput == 2)
    }
}

import MetricsTestKit
import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct RateLimitTests {
    @Test func offByDefaultInEveryPreset() {
        for preset in [HubConfiguration.standard, .highPerformance, .lightweight] {
            #expect(preset.rateLimitMessagesPerSecond == nil)
            #expect(preset.maxConnectionsPerUser == nil)
        }
    }

    @Test func noLimitWhenOff() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected()
        for _ in 0..<500 { fixture.send(#"{"type":"ping"}"#, from: peer) }
        let answers = peer.transport.take()
        #expect(answers.count == 500)
        #expect(answers.allSatisfy { $0.messageType == "pong" })
        #expect(fixture.hub.metricsSnapshot().rateLimitedMessages == 0)
    }

    @Test func messagesOverTheBurstAreRefusedAndNotProcessed() throws {
        let fixture = HubFixture {
            $0.rateLimitMessagesPerSecond = 10
            $0.rateLimitBurst = 5
            $0.rateLimitMaxViolations = 100
        }
        let peer = try fixture.connected()
        for i in 0..<8 { fixture.send(#"{"type":"subscribe","id":\#(i),"event_types":["s\#(i)"]}"#, from: peer) }
        let answers = peer.transport.take()
        #expect(answers.map(\.messageType) == Array(repeating: "ack", count: 5) + Array(repeating: "error", count: 3))
        for error in answers.suffix(3) {
            #expect(error.string("code") == "rate_limited")
            #expect(error["id"] == .null)
        }
        // Not processed: only the first five subscriptions were made.
        #expect(peer.client.subscribedStreams == ["s0", "s1", "s2", "s3", "s4"])
        #expect(peer.transport.closeCode == nil)
        #expect(fixture.hub.metricsSnapshot().rateLimitedMessages == 3)
        #expect(try fixture.metrics.expectCounter("taskwire_rate_limited_messages_total").totalValue == 3)
    }

    @Test func tokensRefillOverTime() throws {
        let fixture = HubFixture {
            $0.rateLimitMessagesPerSecond = 10
            $0.rateLimitBurst = 2
            $0.rateLimitMaxViolations = 100
        }
        let peer = try fixture.connected()
        for _ in 0..<3 { fixture.send(#"{"type":"ping"}"#, from: peer) }
        #expect(peer.transport.take().map(\.messageType) == ["pong", "pong", "error"])
        fixture.clock.advance(by: .milliseconds(100))  // one token
        for _ in 0..<2 { fixture.send(#"{"type":"ping"}"#, from: peer) }
        #expect(peer.transport.take().map(\.messageType) == ["pong", "error"])
        fixture.clock.advance(by: .seconds(10))  // refills to the burst, not beyond
        for _ in 0..<3 { fixture.send(#"{"type":"ping"}"#, from: peer) }
        #expect(peer.transport.take().map(\.messageType) == ["pong", "pong", "error"])
    }

    @Test func repeatedViolationsCloseWith4004() throws {
        let fixture = HubFixture {
            $0.rateLimitMessagesPerSecond = 1
            $0.rateLimitBurst = 1
            $0.rateLimitMaxViolations = 3
        }
        let peer = try fixture.connected()
        fixture.send(#"{"type":"ping"}"#, from: peer)
        for _ in 0..<3 { fixture.send(#"{"type":"ping"}"#, from: peer) }
        #expect(peer.transport.closeCode == nil)
        fixture.send(#"{"type":"ping"}"#, from: peer)
        #expect(peer.transport.closeCode == .rateLimited)
        #expect(peer.client.currentState == .disconnecting)
    }

    @Test func violationsOlderThanAMinuteAreForgotten() throws {
        let fixture = HubFixture {
            $0.rateLimitMessagesPerSecond = 0.001
            $0.rateLimitBurst = 1
            $0.rateLimitMaxViolations = 2
        }
        let peer = try fixture.connected()
        fixture.send(#"{"type":"ping"}"#, from: peer)
        for _ in 0..<2 { fixture.send(#"{"type":"ping"}"#, from: peer) }
        fixture.clock.advance(by: .seconds(61))
        for _ in 0..<2 { fixture.send(#"{"type":"ping"}"#, from: peer) }
        #expect(peer.transport.closeCode == nil)
        fixture.send(#"{"type":"ping"}"#, from: peer)
        #expect(peer.transport.closeCode == .rateLimited)
    }

    @Test func limitIsPerConnection() throws {
        let fixture = HubFixture {
            $0.rateLimitMessagesPerSecond = 1
            $0.rateLimitBurst = 2
        }
        let a = try fixture.connected()
        let b = try fixture.connected(shard: 1)
        for _ in 0..<3 { fixture.send(#"{"type":"ping"}"#, from: a) }
        for _ in 0..<2 { fixture.send(#"{"type":"ping"}"#, from: b) }
        #expect(a.transport.take().map(\.messageType) == ["pong", "pong", "error"])
        #expect(b.transport.take().map(\.messageType) == ["pong", "pong"])
    }
}

@Suite struct ConnectionsPerUserTests {
    @Test func connectionsPastTheLimitAreForbidden() throws {
        let fixture = HubFixture { $0.maxConnectionsPerUser = 2 }
        let first = try fixture.connect(userID: "alice")
        _ = try fixture.connect(shard: 1, userID: "alice")
        #expect(throws: TaskwireError.self) { try fixture.connect(userID: "alice") }
        do {
            _ = try fixture.connect(userID: "alice")
            Issue.record("expected forbidden")
        } catch let error as TaskwireError {
            #expect(error.code == .forbidden)
        }
        // Other users and anonymous connections are not affected; refusals give their slot back.
        _ = try fixture.connect(userID: "bob")
        for _ in 0..<5 { _ = try fixture.connect() }
        #expect(fixture.hub.connectionCount == 8)

        // A removed connection frees its place.
        fixture.hub.removeConnection(first.client)
        _ = try fixture.connect(userID: "alice")
        #expect(throws: TaskwireError.self) { try fixture.connect(userID: "alice") }
    }

    @Test func unlimitedByDefault() throws {
        let fixture = HubFixture()
        for _ in 0..<20 { _ = try fixture.connect(userID: "alice") }
        #expect(fixture.hub.connectionCount == 20)
    }

    @Test func refusalReleasesTheSlot() throws {
        let fixture = HubFixture {
            $0.maxConnectionsPerUser = 1
            $0.maxConnections = 2
        }
        _ = try fixture.connect(userID: "alice")
        for _ in 0..<5 { #expect(throws: TaskwireError.self) { try fixture.connect(userID: "alice") } }
        _ = try fixture.connect(userID: "bob")
        #expect(fixture.hub.connectionCount == 2)
    }
}

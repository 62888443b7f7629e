import NIOCore
import Synchronization
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting
import Testing

/// A relay that keeps what it is handed, and a log that numbers it as a cluster would.
final class FakeRelay: EventRelay {
    let relayed = Mutex<[(event: RelayedEvent, onDelivered: (@Sendable (Int) -> Void)?)]>([])
    let reachable = Atomic(true)

    var isAvailable: Bool { reachable.load(ordering: .relaxed) }

    func relay(_ event: RelayedEvent, onDelivered: (@Sendable (Int) -> Void)?) {
        relayed.withLock { $0.append((event, onDelivered)) }
    }

    /// Delivers everything relayed so far to `hubs`, numbered per key from `start`.
    func deliverAll(to hubs: [Hub], epoch: String, numbering: inout [String: UInt64]) {
        let taken = relayed.withLock { relayed in
            defer { relayed.removeAll() }
            return relayed
        }
        for (event, onDelivered) in taken {
            let seq = numbering[event.key, default: 0] + 1
            numbering[event.key] = seq
            for (i, hub) in hubs.enumerated() {
                hub.deliver(event.body, key: event.key, at: StreamPosition(seq: seq, epoch: epoch), coalescingKey: event.coalescingKey, onDelivered: i == 0 ? onDelivered : nil)
            }
        }
    }
}

@Suite struct RelayTests {
    @Test func withARelayTheHubNumbersNothingAndDeliversWhatComesBack() throws {
        let a = HubFixture()
        let b = HubFixture()
        let relay = FakeRelay()
        a.hub.relay = relay
        b.hub.relay = relay
        let onA = try a.connected(subscriptions: ["news"])
        let onB = try b.connected(subscriptions: ["news"])

        #expect(try a.publish("1", to: "news") == 0, "the cluster numbers it, later")
        #expect(try b.publish("2", to: "news") == 0)
        #expect(onA.transport.messages.isEmpty && onB.transport.messages.isEmpty, "nothing before the log delivers it")
        #expect(relay.relayed.withLock { $0.map(\.event.key) } == ["news", "news"])

        var numbering: [String: UInt64] = [:]
        relay.deliverAll(to: [a.hub, b.hub], epoch: "cluster", numbering: &numbering)
        for peer in [onA, onB] {
            let events = peer.transport.take()
            #expect(events.map { $0["seq"]?.int64Value } == [1, 2])
            #expect(events.map { $0["data"]?.int64Value } == [1, 2])
            #expect(events.allSatisfy { $0["epoch"]?.stringValue == "cluster" && $0["event_type"]?.stringValue == "news" })
        }
        #expect(a.hub.position(of: try stream("news")) == StreamPosition(seq: 2, epoch: "cluster"))
    }

    @Test func aClientsPublishIsRefusedWhileTheClusterCannotBeReached() throws {
        let fixture = HubFixture()
        let relay = FakeRelay()
        fixture.hub.relay = relay
        relay.reachable.store(false, ordering: .relaxed)
        #expect(!fixture.hub.acceptsPublishes)
        let peer = try fixture.connected()
        for i in 1...20 {
            fixture.send(#"{"type":"custom","id":\#(i),"event_type":"news","data":1}"#, from: peer)
        }
        let answers = peer.transport.take()
        #expect(answers.count == 20)
        #expect(answers.allSatisfy { $0["type"]?.stringValue == "error" && $0["code"]?.stringValue == "unavailable" })
        #expect(peer.transport.closeCode == nil, "the server's state is not counted as the client's bad messages")
        #expect(relay.relayed.withLock { $0.isEmpty })

        relay.reachable.store(true, ordering: .relaxed)
        fixture.send(#"{"type":"custom","id":21,"event_type":"news","data":1}"#, from: peer)
        #expect(relay.relayed.withLock { $0.count } == 1)
    }

    @Test func userNotificationsTravelOnTheUsersLog() throws {
        let fixture = HubFixture()
        let relay = FakeRelay()
        fixture.hub.relay = relay
        let alice = try fixture.connect(userID: "alice", subscriptions: ["user_notification"])
        let bob = try fixture.connect(userID: "bob", subscriptions: ["user_notification"])
        _ = alice.transport.take()
        _ = bob.transport.take()
        fixture.hub.publish(ServerMessage.customBody(data: ByteBuffer(string: "7")), toUser: "alice")
        #expect(relay.relayed.withLock { $0.map(\.event.key) } == [Hub.logKey(ofUser: "alice")])
        var numbering: [String: UInt64] = [:]
        relay.deliverAll(to: [fixture.hub], epoch: "cluster", numbering: &numbering)
        let received = alice.transport.take()
        #expect(received.map { $0["event_type"]?.stringValue } == ["user_notification"])
        #expect(received.first?["seq"]?.int64Value == 1)
        #expect(bob.transport.messages.isEmpty)
    }

    @Test func aStateEqualToTheLastIsNotPublished() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["queue_status_changed"])
        let one = ServerMessage.customBody(data: ByteBuffer(string: "1"))
        fixture.hub.publishState(one, to: .queueStatusChanged)
        fixture.hub.publishState(one, to: .queueStatusChanged)
        fixture.hub.publishState(ServerMessage.customBody(data: ByteBuffer(string: "2")), to: .queueStatusChanged)
        fixture.hub.publishState(one, to: .queueStatusChanged)
        #expect(peer.transport.take().compactMap { $0["data"]?.int64Value } == [1, 2, 1])

        // With a relay, the state goes to the cluster marked as one (the log drops repeats).
        let relay = FakeRelay()
        fixture.hub.relay = relay
        fixture.hub.publishState(one, to: .queueStatusChanged)
        #expect(relay.relayed.withLock { $0.map(\.event.onlyIfChanged) } == [true])
    }

    @Test func anArchivedStreamNotSeenYetIsRecoveredFromTheArchiveEvenFromSeqZeroInItsEpoch() async throws {
        let fixture = HubFixture()
        let archive = FakeArchive()
        fixture.hub.archive = archive
        for seq: UInt64 in 1...3 { archive.record(seq, to: "task:t1") }
        // The hub never saw an event of task:t1: its seq 0 is not the stream's.
        let peer = try fixture.connected()
        fixture.send(#"{"type":"subscribe","id":1,"event_types":["task:t1"],"since":{"task:t1":{"seq":0,"epoch":"\#(archive.epoch)"}}}"#, from: peer)
        var messages: [JSONValue] = []
        for _ in 0..<500 where messages.count < 4 {
            messages += peer.transport.take()
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(messages.first?["recovered"] == .object(["task:t1": .bool(true)]))
        #expect(messages.dropFirst().map { $0["seq"]?.int64Value } == [1, 2, 3])
    }
}

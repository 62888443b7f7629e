import NIOCore
import Synchronization
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting
import Testing

/// An archive of `task:` streams kept in memory; reads can be held back to model a slow store.
final class FakeArchive: StreamArchive {
    private struct State {
        var events: [String: [ArchivedEvent]] = [:]
        var reads = 0
        var failing = false
        var gate: CheckedContinuation<Void, Never>?
        var holdReads = false
    }
    private let state = Mutex(State())
    let epoch = "store-epoch"

    func epoch(ofKey key: String) -> String? {
        key.hasPrefix("task:") ? epoch : nil
    }

    func events(ofKey key: String, after seq: UInt64, limit: Int) async throws -> [ArchivedEvent] {
        if state.withLock({ $0.holdReads }) {
            await withCheckedContinuation { continuation in state.withLock { $0.gate = continuation } }
        }
        return try state.withLock { state in
            state.reads += 1
            if state.failing { throw TaskwireError(.internal, "the archive does not answer") }
            return Array((state.events[key] ?? []).filter { $0.seq > seq }.prefix(limit))
        }
    }

    /// Records an event as the store would, and publishes it on the hub at its position.
    func append(_ seq: UInt64, to name: String, on hub: Hub) throws {
        let body = ServerMessage.customBody(data: ByteBuffer(string: "\(seq)"))
        state.withLock { $0.events[name, default: []].append(ArchivedEvent(seq: seq, body: body)) }
        hub.publish(body, to: try stream(name), at: StreamPosition(seq: seq, epoch: epoch))
    }

    /// Records an event without publishing it (committed, its publish still on its way).
    func record(_ seq: UInt64, to name: String) {
        let body = ServerMessage.customBody(data: ByteBuffer(string: "\(seq)"))
        state.withLock { $0.events[name, default: []].append(ArchivedEvent(seq: seq, body: body)) }
    }

    var reads: Int { state.withLock { $0.reads } }
    var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }
    var holdReads: Bool {
        get { state.withLock { $0.holdReads } }
        set { state.withLock { $0.holdReads = newValue } }
    }

    /// Lets a held read go on, once it is waiting (for at most 5 s).
    func release() async {
        for _ in 0..<2500 {
            if let gate = state.withLock({ s -> CheckedContinuation<Void, Never>? in defer { s.gate = nil }; return s.gate }) {
                gate.resume()
                return
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("no read of the archive is waiting")
    }
}

/// Streams numbered by an archive (task streams, numbered by the task store): the hub takes
/// their positions from each publish, and recovers what its own history cannot from the archive.
@Suite struct ArchiveRecoveryTests {
    private func fixture() -> (HubFixture, FakeArchive) {
        let fixture = HubFixture { $0.historySize = 2 }
        let archive = FakeArchive()
        fixture.hub.archive = archive
        return (fixture, archive)
    }

    private func subscribe(_ fixture: HubFixture, _ peer: Peer, _ name: String, seq: UInt64, epoch: String) {
        let since = #"{"\#(name)":{"seq":\#(seq),"epoch":"\#(epoch)"}}"#
        fixture.send(#"{"type":"subscribe","id":9,"event_types":["\#(name)"],"since":\#(since)}"#, from: peer)
    }

    /// The messages `peer` got up to and including the ack, and after it, once the ack arrived.
    private func awaitAck(_ peer: Peer) async throws -> (ack: JSONValue, after: [JSONValue]) {
        for _ in 0..<2500 {
            let messages = peer.transport.parsedMessages
            if let index = messages.firstIndex(where: { $0.messageType == "ack" }) {
                return (messages[index], Array(messages[(index + 1)...]))
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw TaskwireError(.internal, "no ack")
    }

    private func seqs(_ messages: [JSONValue]) -> [Int64] {
        messages.filter { $0.messageType == "custom" }.compactMap { $0.int("seq") }
    }

    @Test func archivedStreamsCarryTheArchivesPositions() throws {
        let (fixture, archive) = fixture()
        let peer = try fixture.connected(subscriptions: ["task:t1"])
        // The hub never saw events 1...4 (a restart): the stream goes on from the archive's seq.
        archive.record(1, to: "task:t1")
        try archive.append(5, to: "task:t1", on: fixture.hub)
        try archive.append(6, to: "task:t1", on: fixture.hub)
        // A repeated event is ignored.
        try archive.append(6, to: "task:t1", on: fixture.hub)
        let received = peer.transport.take()
        #expect(seqs(received) == [5, 6])
        #expect(received.allSatisfy { $0.string("epoch") == archive.epoch })
        #expect(fixture.hub.position(of: try stream("task:t1")) == StreamPosition(seq: 6, epoch: archive.epoch))
        // Streams the archive does not number keep the hub's own numbering.
        #expect(fixture.hub.position(of: try stream("news")).epoch != archive.epoch)
    }

    @Test func sinceSeqZeroReplaysTheWholeHistoryFromTheArchive() async throws {
        let (fixture, archive) = fixture()
        for seq: UInt64 in 1...5 { try archive.append(seq, to: "task:t1", on: fixture.hub) }
        let peer = try fixture.connected(shard: 1)
        subscribe(fixture, peer, "task:t1", seq: 0, epoch: "")
        let (ack, after) = try await awaitAck(peer)
        #expect(ack["recovered"] == .object(["task:t1": .bool(true)]))
        #expect(ack["resync"] == nil)
        #expect(seqs(after) == [1, 2, 3, 4, 5])
        #expect(after.allSatisfy { $0.string("event_type") == "task:t1" && $0.string("epoch") == archive.epoch })
        #expect(archive.reads == 1)
        try archive.append(6, to: "task:t1", on: fixture.hub)
        #expect(seqs(peer.transport.take()) == [1, 2, 3, 4, 5, 6])
    }

    @Test func eventsPublishedWhileTheArchiveIsReadFollowWithoutDuplicates() async throws {
        let (fixture, archive) = fixture()
        for seq: UInt64 in 1...4 { try archive.append(seq, to: "task:t1", on: fixture.hub) }
        archive.holdReads = true
        let peer = try fixture.connected(shard: 1)
        // The hub's history (2 events) holds 3 and 4 only: 2 comes from the archive.
        subscribe(fixture, peer, "task:t1", seq: 1, epoch: archive.epoch)
        // While the read waits: event 5 is published (the read will see it too), and event 6
        // is committed but published only after the read.
        try archive.append(5, to: "task:t1", on: fixture.hub)
        archive.record(6, to: "task:t1")
        #expect(peer.transport.parsedMessages.isEmpty, "nothing is sent before the ack")
        await archive.release()
        let (ack, _) = try await awaitAck(peer)
        #expect(ack["recovered"] == .object(["task:t1": .bool(true)]))
        try fixture.hub.publish(
            ServerMessage.customBody(data: ByteBuffer(string: "6")),
            to: stream("task:t1"),
            at: StreamPosition(seq: 6, epoch: archive.epoch)
        )
        try archive.append(7, to: "task:t1", on: fixture.hub)
        #expect(seqs(peer.transport.take()) == [2, 3, 4, 5, 6, 7])
    }

    @Test func theHubsOwnHistoryIsUsedWhenItReachesBack() async throws {
        let (fixture, archive) = fixture()
        for seq: UInt64 in 1...4 { try archive.append(seq, to: "task:t1", on: fixture.hub) }
        let peer = try fixture.connected()
        subscribe(fixture, peer, "task:t1", seq: 3, epoch: archive.epoch)
        let (ack, after) = try await awaitAck(peer)
        #expect(ack["recovered"] == .object(["task:t1": .bool(true)]))
        #expect(seqs(after) == [4])
        #expect(archive.reads == 0)
    }

    @Test func aFailingArchiveOrAnotherEpochMeansResync() async throws {
        let (fixture, archive) = fixture()
        for seq: UInt64 in 1...4 { try archive.append(seq, to: "task:t1", on: fixture.hub) }
        archive.failing = true
        let peer = try fixture.connected()
        subscribe(fixture, peer, "task:t1", seq: 0, epoch: "")
        let (ack, after) = try await awaitAck(peer)
        #expect(ack["recovered"] == .object(["task:t1": .bool(false)]))
        #expect(
            ack["resync"]
                == .object([
                    "task:t1": .object([
                        "seq": .number("4"), "epoch": .string(archive.epoch), "snapshot": .string("/api/v1/tasks/t1"),
                    ])
                ])
        )
        #expect(after.isEmpty)
        // Live events still flow after a failed recovery.
        try archive.append(5, to: "task:t1", on: fixture.hub)
        #expect(seqs(peer.transport.take()) == [5])

        let other = try fixture.connected(shard: 1)
        subscribe(fixture, other, "task:t1", seq: 2, epoch: "another-store")
        let (refused, _) = try await awaitAck(other)
        #expect(refused["recovered"] == .object(["task:t1": .bool(false)]))
        #expect(refused["resync"]?["task:t1"]?["seq"] == .number("5"))
    }

    @Test func wellKnownStreamsNameTheirSnapshotWhenNotRecovered() throws {
        let (fixture, _) = fixture()
        let peer = try fixture.connected()
        let since = #"{"task_updated":{"seq":9,"epoch":"gone"},"queue:q1":{"seq":3,"epoch":"gone"},"queue_status_changed":{"seq":1,"epoch":"gone"}}"#
        fixture.send(#"{"type":"subscribe","id":3,"event_types":["task_updated","queue:q1","queue_status_changed"],"since":\#(since)}"#, from: peer)
        let ack = try #require(peer.transport.take().first)
        #expect(ack["resync"]?["task_updated"]?["snapshot"] == .string("/api/v1/tasks"))
        #expect(ack["resync"]?["queue:q1"]?["snapshot"] == .string("/api/v1/tasks?queue=q1"))
        #expect(ack["resync"]?["queue_status_changed"]?["snapshot"] == .string("/api/v1/queue/status"))
    }

    @Test func unsubscribingWhileTheArchiveIsReadSendsNothingOfTheStream() async throws {
        let (fixture, archive) = fixture()
        for seq: UInt64 in 1...4 { try archive.append(seq, to: "task:t1", on: fixture.hub) }
        archive.holdReads = true
        let peer = try fixture.connected(shard: 1)
        subscribe(fixture, peer, "task:t1", seq: 0, epoch: "")
        fixture.send(#"{"type":"unsubscribe","id":2,"event_types":["task:t1"]}"#, from: peer)
        try archive.append(5, to: "task:t1", on: fixture.hub)
        await archive.release()
        _ = try await awaitAck(peer)
        try archive.append(6, to: "task:t1", on: fixture.hub)
        let after = peer.transport.take().filter { $0.messageType == "custom" }.compactMap { $0.int("seq") }
        // The replay answers the subscribe (1...4); nothing live follows once unsubscribed.
        #expect(!after.contains(5) && !after.contains(6), "\(after)")
    }
}

import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting
import Testing

/// Recovery: `subscribe` with `since` replays the missed events from the stream's history,
/// in order, before live ones, with no duplicate and no gap.
@Suite struct RecoveryTests {
    /// Subscribes `peer` to `name` from `position`, returns the ack.
    private func resubscribe(_ fixture: HubFixture, _ peer: Peer, _ name: String, seq: UInt64, epoch: String) throws -> JSONValue {
        let since = #"{"\#(name)":{"seq":\#(seq),"epoch":"\#(epoch)"}}"#
        fixture.send(#"{"type":"subscribe","id":7,"event_types":["\#(name)"],"since":\#(since)}"#, from: peer)
        return try #require(peer.transport.parsedMessages.first { $0.messageType == "ack" })
    }

    private func seqs(_ messages: [JSONValue]) -> [Int64] {
        messages.filter { $0.messageType == "custom" }.compactMap { $0.int("seq") }
    }

    @Test func reconnectWithSinceGetsExactlyTheMissedEventsThenLiveOnes() throws {
        let fixture = HubFixture()
        let first = try fixture.connected(subscriptions: ["news"])
        for i in 1...3 { try fixture.publish("\(i)", to: "news") }
        let seen = first.transport.take()
        let last = try #require(seen.last)
        let epoch = try #require(last.string("epoch"))
        #expect(seqs(seen) == [1, 2, 3])
        fixture.hub.removeConnection(first.client)

        for i in 4...6 { try fixture.publish("\(i)", to: "news") }
        let again = try fixture.connected(shard: 1)
        let ack = try resubscribe(fixture, again, "news", seq: 3, epoch: epoch)
        #expect(ack["recovered"] == .object(["news": .bool(true)]))
        try fixture.publish("7", to: "news")
        let received = again.transport.take()
        #expect(received.first?.messageType == "ack")
        #expect(seqs(received) == [4, 5, 6, 7])
        #expect(received.filter { $0.messageType == "custom" }.map { $0["data"] } == (4...7).map { JSONValue.number("\($0)") })
    }

    @Test func eventsPublishedDuringTheReplayFollowItWithoutDuplicates() throws {
        let fixture = HubFixture()
        for i in 1...5 { try fixture.publish("\(i)", to: "news") }
        let epoch = fixture.hub.position(of: try stream("news")).epoch
        let peer = try fixture.connected(shard: 1)
        peer.transport.isWritable = false  // the ack and the replay wait in the connection's queue
        let since = #"{"news":{"seq":1,"epoch":"\#(epoch)"}}"#
        fixture.send(#"{"type":"subscribe","id":7,"event_types":["news"],"since":\#(since)}"#, from: peer)
        for i in 6...8 { try fixture.publish("\(i)", to: "news") }
        #expect(peer.transport.messages.isEmpty)
        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        let received = peer.transport.take()
        #expect(received.first?.messageType == "ack")
        #expect(received.first?["recovered"] == .object(["news": .bool(true)]))
        #expect(seqs(received) == [2, 3, 4, 5, 6, 7, 8])
    }

    @Test func aDifferentEpochIsNotRecovered() throws {
        let fixture = HubFixture()
        for i in 1...3 { try fixture.publish("\(i)", to: "news") }
        let peer = try fixture.connected()
        let ack = try resubscribe(fixture, peer, "news", seq: 1, epoch: "some-other-epoch")
        #expect(ack["recovered"] == .object(["news": .bool(false)]))
        try fixture.publish("4", to: "news")
        #expect(seqs(peer.transport.take()) == [4])
    }

    @Test func aPositionTheHistoryNoLongerReachesIsNotRecovered() throws {
        let fixture = HubFixture { $0.historySize = 3 }
        for i in 1...10 { try fixture.publish("\(i)", to: "news") }
        let epoch = fixture.hub.position(of: try stream("news")).epoch
        let peer = try fixture.connected()
        #expect(try resubscribe(fixture, peer, "news", seq: 6, epoch: epoch)["recovered"] == .object(["news": .bool(false)]))
        #expect(seqs(peer.transport.take()).isEmpty)

        let other = try fixture.connected()
        #expect(try resubscribe(fixture, other, "news", seq: 7, epoch: epoch)["recovered"] == .object(["news": .bool(true)]))
        #expect(seqs(other.transport.take()) == [8, 9, 10])
    }

    @Test func eventsOlderThanTheHistoryTTLAreGone() throws {
        let fixture = HubFixture { $0.historyTTL = .seconds(30) }
        try fixture.publish("1", to: "news")
        try fixture.publish("2", to: "news")
        let epoch = fixture.hub.position(of: try stream("news")).epoch
        fixture.clock.advance(by: .seconds(31))
        try fixture.publish("3", to: "news")  // trims what is older than 30 s
        let peer = try fixture.connected()
        #expect(try resubscribe(fixture, peer, "news", seq: 1, epoch: epoch)["recovered"] == .object(["news": .bool(false)]))
        let other = try fixture.connected()
        #expect(try resubscribe(fixture, other, "news", seq: 2, epoch: epoch)["recovered"] == .object(["news": .bool(true)]))
        #expect(seqs(other.transport.take()) == [3])
    }

    @Test func aClientThatMissedNothingRecoversWithNoReplay() throws {
        let fixture = HubFixture()
        try fixture.publish("1", to: "news")
        let position = fixture.hub.position(of: try stream("news"))
        let peer = try fixture.connected()
        #expect(try resubscribe(fixture, peer, "news", seq: position.seq, epoch: position.epoch)["recovered"] == .object(["news": .bool(true)]))
        #expect(seqs(peer.transport.take()).isEmpty)
    }

    /// Random interleavings of publish, subscribe, disconnect and reconnect-with-since on two
    /// shards: a client that is told `recovered: true` sees every event of the stream exactly
    /// once and in order across all of its connections.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomInterleavingsLoseNothingAndDuplicateNothing(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let fixture = HubFixture { $0.historySize = 50 }
        let streams = ["a", "b"]
        struct Reader {
            var peer: Peer?
            var seen: [String: [Int64]] = [:]
            var epoch: [String: String] = [:]
            var broken: Set<String> = []
        }
        var readers = [Reader(), Reader(), Reader()]
        func drain(_ r: inout Reader) {
            guard let peer = r.peer else { return }
            for message in peer.transport.take() where message.messageType == "custom" {
                guard let name = message.string("event_type"), let seq = message.int("seq") else { continue }
                r.seen[name, default: []].append(seq)
                r.epoch[name] = message.string("epoch")
            }
        }
        for _ in 0..<400 {
            let i = Int(random.next() % UInt64(readers.count))
            switch random.next() % 6 {
            case 0, 1, 2:
                try fixture.publish("{}", to: streams[Int(random.next() % 2)])
            case 3:
                drain(&readers[i])
                if let peer = readers[i].peer {
                    fixture.hub.removeConnection(peer.client)
                    readers[i].peer = nil
                }
            default:
                drain(&readers[i])
                guard readers[i].peer == nil else { continue }
                let peer = try fixture.connected(shard: Int(random.next() % 2))
                readers[i].peer = peer
                var since: [String] = []
                for name in streams {
                    if let last = readers[i].seen[name]?.last, let epoch = readers[i].epoch[name] {
                        since.append(#""\#(name)":{"seq":\#(last),"epoch":"\#(epoch)"}"#)
                    }
                }
                fixture.send(
                    #"{"type":"subscribe","id":1,"event_types":["a","b"],"since":{\#(since.joined(separator: ","))}}"#,
                    from: peer
                )
                let ack = try #require(peer.transport.parsedMessages.first { $0.messageType == "ack" })
                for name in streams where ack["recovered"]?[name] == .bool(false) { readers[i].broken.insert(name) }
            }
            for j in readers.indices { drain(&readers[j]) }
        }
        for reader in readers {
            for (name, seqs) in reader.seen {
                #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count, "duplicates or reordering on \(name)")
                if !reader.broken.contains(name), let first = seqs.first {
                    #expect(seqs == Array(first...(seqs.last ?? first)), "a gap on \(name) although recovered")
                }
            }
        }
    }
}

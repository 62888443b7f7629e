import Logging
import NIOCore
import Synchronization
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct BroadcastTests {
    @Test func broadcastReachesEveryConnectedClientAndReturnsTheCount() async throws {
        let fixture = HubFixture()
        let peers = try (0..<5).map { try fixture.connected(shard: $0 % 2) }
        let closing = try fixture.connected(shard: 1)
        await fixture.hub.disconnect(closing.id, reason: "bye")

        let reached = await fixture.hub.broadcast(ByteBuffer(string: #"{"type":"notification","title":"hello"}"#))
        #expect(reached == 5)
        for peer in peers {
            #expect(peer.transport.messages == [#"{"type":"notification","title":"hello"}"#])
        }
        #expect(closing.transport.messages.isEmpty)
    }

    @Test func broadcastWithNoClientsReachesNobody() async {
        let fixture = HubFixture()
        #expect(await fixture.hub.broadcast(ByteBuffer(string: "{}")) == 0)
    }

    @Test func publishReachesOnlyTheStreamsSubscribersOnEveryShard() throws {
        let fixture = HubFixture()
        let a = try fixture.connected(shard: 0, subscriptions: ["news"])
        let b = try fixture.connected(shard: 1, subscriptions: ["news", "sport"])
        let c = try fixture.connected(shard: 0, subscriptions: ["sport"])
        let d = try fixture.connected(shard: 1)

        try fixture.publish(#"{"headline":"x"}"#, to: "news")

        for peer in [a, b] {
            let messages = peer.transport.take()
            #expect(messages.count == 1)
            let event = try #require(messages.first)
            #expect(event.messageType == "custom")
            #expect(event["data"] == .object(["headline": .string("x")]))
            #expect(event.string("event_type") == "news")
            #expect(event.int("seq") == 1)
        }
        #expect(c.transport.messages.isEmpty)
        #expect(d.transport.messages.isEmpty)
    }

    @Test func eachStreamNumbersItsEventsOneTwoThree() throws {
        let fixture = HubFixture()
        let a = try fixture.connected(shard: 0, subscriptions: ["news", "sport"])
        let b = try fixture.connected(shard: 1, subscriptions: ["news"])

        for i in 1...3 { try fixture.publish("\(i)", to: "news") }
        try fixture.publish("99", to: "sport")

        let aEvents = a.transport.take()
        let news = aEvents.filter { $0.string("event_type") == "news" }
        #expect(news.map { $0.int("seq") } == [1, 2, 3])
        #expect(news.map { $0["data"] } == [.number("1"), .number("2"), .number("3")])
        let sport = aEvents.filter { $0.string("event_type") == "sport" }
        #expect(sport.map { $0.int("seq") } == [1])

        let bEvents = b.transport.take()
        #expect(bEvents.map { $0.int("seq") } == [1, 2, 3])
        // Every copy of a stream's event carries the same epoch, on every shard.
        let epochs = Set((news + bEvents).compactMap { $0.string("epoch") })
        #expect(epochs.count == 1)
        let epoch = try #require(epochs.first)
        #expect(epoch.hasPrefix(fixture.hub.epoch))
        #expect(fixture.hub.position(of: try stream("news")) == StreamPosition(seq: 3, epoch: epoch))
    }

    @Test func eventsAreNumberedEvenWithNoSubscribers() throws {
        let fixture = HubFixture()
        #expect(try fixture.publish("1", to: "news") == 1)
        #expect(try fixture.publish("2", to: "news") == 2)
        #expect(fixture.hub.position(of: try stream("news")).seq == 2)

        let peer = try fixture.connected(subscriptions: ["news"])
        #expect(try fixture.publish("3", to: "news") == 3)
        let events = peer.transport.take()
        #expect(events.map { $0.int("seq") } == [3])
        #expect(events.first?["data"] == .number("3"))
    }

    @Test func anEventOnSeveralStreamsArrivesOncePerStream() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["task_updated", "task:42"])
        let body = ServerMessage.customBody(data: ByteBuffer(string: #"{"task_id":"42"}"#))
        fixture.hub.publish(body, to: .taskUpdated)
        fixture.hub.publish(body, to: .task("42"))
        fixture.hub.publish(body, to: .task("43"))

        let events = peer.transport.take()
        #expect(events.map { $0.string("event_type") } == ["task_updated", "task:42"])
        #expect(events.map { $0.int("seq") } == [1, 1])
        #expect(events[0].string("epoch") != events[1].string("epoch"))
    }

    @Test func publishAndCountReturnsTheConnectionsReached() async throws {
        let fixture = HubFixture()
        _ = try fixture.connected(shard: 0, subscriptions: ["news"])
        _ = try fixture.connected(shard: 1, subscriptions: ["news"])
        _ = try fixture.connected(shard: 1, subscriptions: ["news"])
        _ = try fixture.connected(shard: 0, subscriptions: ["other"])
        let body = ServerMessage.customBody(data: ByteBuffer(string: "null"))
        #expect(await fixture.hub.publishAndCount(body, to: try stream("news")) == 3)
        #expect(await fixture.hub.publishAndCount(body, to: try stream("other")) == 1)
        #expect(await fixture.hub.publishAndCount(body, to: try stream("nobody")) == 0)
    }

    @Test func publishAndCountLeavesOutClosingConnections() async throws {
        let fixture = HubFixture()
        _ = try fixture.connected(shard: 0, subscriptions: ["news"])
        let closing = try fixture.connected(shard: 1, subscriptions: ["news"])
        await fixture.hub.disconnect(closing.id, reason: "bye")
        let body = ServerMessage.customBody(data: ByteBuffer(string: "null"))
        #expect(await fixture.hub.publishAndCount(body, to: try stream("news")) == 1)
        #expect(closing.transport.messages.isEmpty)
    }

    @Test func aClientsCustomMessageIsPublishedAndAckedWithDelivered() throws {
        let fixture = HubFixture()
        let sender = try fixture.connected(shard: 0, subscriptions: ["chat"])
        let other = try fixture.connected(shard: 1, subscriptions: ["chat"])
        let bystander = try fixture.connected(shard: 1)

        fixture.send(#"{"type":"custom","id":"m1","event_type":"chat","data":{"n":1800000000000000000123}}"#, from: sender)

        let otherText = try #require(other.transport.messages.first)
        #expect(otherText.contains(#""data":{"n":1800000000000000000123}"#))
        let senderMessages = sender.transport.take()
        #expect(senderMessages.map(\.messageType) == ["custom", "ack"])
        let ack = try #require(senderMessages.last)
        #expect(ack.memberNames == ["delivered", "id", "type"])
        #expect(ack.string("id") == "m1")
        #expect(ack.int("delivered") == 2)
        #expect(bystander.transport.messages.isEmpty)
    }

    @Test func aCustomMessageWithoutSubscribersIsAckedWithZero() throws {
        let fixture = HubFixture()
        let sender = try fixture.connected(shard: 1)
        fixture.send(#"{"type":"custom","id":3,"event_type":"lonely","data":null}"#, from: sender)
        let messages = sender.transport.take()
        #expect(messages.count == 1)
        #expect(messages.first?.messageType == "ack")
        #expect(messages.first?.int("id") == 3)
        #expect(messages.first?.int("delivered") == 0)
        #expect(fixture.hub.position(of: try stream("lonely")).seq == 1)
    }

    @Test func customDataReachesSubscribersByteForByte() throws {
        let fixture = HubFixture()
        let sender = try fixture.connected(shard: 0)
        let subscriber = try fixture.connected(shard: 1, subscriptions: ["bench"])
        for data in ["null", "1800000000000000000123", #"{"a" : [1, 2.50, "\u00e9"]}"#, #""x""#] {
            fixture.send(#"{"type":"custom","event_type":"bench","data":"# + data + "}", from: sender)
            let text = try #require(subscriber.transport.messages.last)
            #expect(text.hasPrefix(#"{"type":"custom","data":"# + data + #","event_type":"bench","seq":"#))
        }
        #expect(subscriber.transport.parsedMessages.allSatisfy { $0.messageType == "custom" })
        // Without an id there is no ack.
        #expect(sender.transport.messages.isEmpty)
    }

    @Test(arguments: ["task_updated", "task_created", "system_notification", "user_notification", "task:42", "queue:default"])
    func clientsMayNotPublishOnServerStreams(_ name: String) throws {
        let fixture = HubFixture()
        let sender = try fixture.connected(shard: 0)
        let subscriber = try fixture.connected(shard: 1, subscriptions: [name])
        fixture.send(#"{"type":"custom","id":5,"event_type":""# + name + #"","data":{}}"#, from: sender)

        let error = try #require(sender.transport.take().first)
        #expect(error.messageType == "error")
        #expect(error.string("code") == "forbidden")
        #expect(error.int("id") == 5)
        #expect(subscriber.transport.messages.isEmpty)
        #expect(fixture.hub.position(of: try stream(name)).seq == 0)
    }

    @Test func publishingOnAnInvalidStreamIsRefused() throws {
        let fixture = HubFixture()
        let sender = try fixture.connected()
        fixture.send(#"{"type":"custom","id":6,"event_type":"bad name","data":1}"#, from: sender)
        let error = try #require(sender.transport.take().first)
        #expect(error.string("code") == "invalid_event_type")
        #expect(error.int("id") == 6)
    }
}

@Suite struct FanOutRoundTests {
    /// Runs work only when asked, so that what a round posts waits for the round to end, as on
    /// an event loop.
    final class ManualExecutor: HubExecutor {
        private let queue = Mutex<[@Sendable () -> Void]>([])
        var inExecutor: Bool { true }
        func execute(_ work: @escaping @Sendable () -> Void) { queue.withLock { $0.append(work) } }
        func runAll() {
            while let next = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { next() }
        }
    }

    @Test func eventsPostedDuringALongRoundJoinItForConnectionsNotReachedYet() throws {
        let executor = ManualExecutor()
        let hub = Hub(configuration: .standard, executors: [executor], clock: ManualHubClock(), logger: Logger(label: "taskwire.test"))
        let peers = try (0..<200).map { _ in
            let transport = TestTransport()
            _ = try hub.addConnection(transport: transport, on: executor, subscriptions: [stream("tick")])
            return transport
        }
        executor.runAll()
        let flushesBefore = peers.map(\.flushCount)
        _ = peers.map { $0.take() }
        // The first connection's write of the first event publishes the second, in the middle
        // of the round that sends the first to everyone.
        let published = Mutex(false)
        peers[0].onWrite = { _ in
            guard published.withLock({ let first = !$0; $0 = true; return first }) else { return }
            hub.publish(ServerMessage.customBody(data: ByteBuffer(string: #"{"n":2}"#)), to: try! stream("tick"))
        }

        hub.publish(ServerMessage.customBody(data: ByteBuffer(string: #"{"n":1}"#)), to: try stream("tick"))
        executor.runAll()

        var joined = 0
        for (index, peer) in peers.enumerated() {
            let numbers = peer.take().compactMap { $0["data"]?.int("n") }
            #expect(numbers == [1, 2], "connection \(index) got \(numbers)")
            let flushes = peer.flushCount - flushesBefore[index]
            #expect(flushes == 1 || flushes == 2)
            if flushes == 1 { joined += 1 }
        }
        // Connections the round reached after the second event was posted (all but the first
        // few dozen) wrote both events at once.
        #expect(joined >= 100, "only \(joined) connections wrote both events in one flush")
        #expect(peers[0].flushCount - flushesBefore[0] == 2)
    }
}

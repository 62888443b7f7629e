import Logging
import NIOCore
import Synchronization
import TaskwireHub
import TaskwirePostgres
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting
import Testing

/// Two nodes on one database, each with its hub, task service and ``PostgresCluster``: what
/// happens on one reaches the other's subscribers, numbered identically, and is recovered there.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage), .timeLimit(.minutes(2)))
struct PostgresClusterTests {
    /// One node: a hub on an immediate executor, the task service, the cluster running.
    struct Node {
        let hub: Hub
        let service: TaskService
        let cluster: PostgresCluster
        let running: Task<Void, Never>
        let executor = ImmediateExecutor()

        init(store: PostgresTaskStore) {
            hub = Hub(configuration: .standard, executors: [executor], logger: testLogger)
            service = TaskService(store: store, hub: hub)
            cluster = PostgresCluster(store: store, hub: hub, trimInterval: .seconds(3600), retryDelay: .milliseconds(100), logger: testLogger)
            let cluster = cluster
            running = Task { await cluster.run() }
        }

        /// A connection of `userID` subscribed to `streams`, its welcome already read.
        func subscriber(_ streams: [String], userID: String? = nil) throws -> (client: HubClient, transport: TestTransport) {
            let transport = TestTransport()
            let client = try hub.addConnection(
                transport: transport,
                on: executor,
                userID: userID,
                subscriptions: try streams.map { try StreamName(validating: $0) }
            )
            _ = transport.take()
            return (client, transport)
        }
    }

    /// Two migrated, following nodes on one fresh schema.
    func twoNodes(_ stores: TestStores) async throws -> (Node, Node) {
        let storeA = stores.makeStore()
        let storeB = stores.makeStore(sharingSchemaWith: storeA)
        try await storeA.migrate()
        try await storeB.migrate()
        let a = Node(store: storeA)
        let b = Node(store: storeB)
        try await eventually { a.cluster.backplane.isReady && b.cluster.backplane.isReady }
        return (a, b)
    }

    /// The events among `messages`, as (event_type, seq, epoch).
    func positions(_ messages: [JSONValue]) -> [String] {
        messages.filter { $0["type"]?.stringValue != "ack" }.map { message in
            "\(message["event_type"]?.stringValue ?? "?")#\(message["seq"]?.int64Value ?? -1)@\(message["epoch"]?.stringValue ?? "?")"
        }
    }

    @Test func eventsOfOneNodeReachTheOtherNumberedTheSame() async throws {
        try await TestDatabase.withStores { stores in
            let (a, b) = try await twoNodes(stores)
            defer { a.running.cancel(); b.running.cancel() }
            let streams = ["task_created", "task_updated", "task_completed", "task_failed", "queue:default", "news"]
            let onA = try a.subscriber(streams)
            let onB = try b.subscriber(streams)

            // Tasks made and finished through node B, custom events published on both.
            var ids: [String] = []
            for i in 0..<5 {
                let task = try await b.service.create(NewTask(name: "job-\(i)"))
                ids.append(task.id)
                _ = try #require(try await b.service.claim(queue: "default", workerID: "w", leaseSeconds: 30))
                _ = try await b.service.progress(id: task.id, workerID: "w", progress: 0.5, message: nil)
                if i % 2 == 0 {
                    _ = try await b.service.complete(id: task.id, workerID: "w", result: "true")
                } else {
                    _ = try await b.service.fail(id: task.id, workerID: "w", error: "no", retry: false)
                }
                // Awaited, so that the order of the log is the order of this loop.
                _ = await (i % 2 == 0 ? a.hub : b.hub).publishAndCount(ServerMessage.customBody(data: ByteBuffer(string: "\(i)")), to: try StreamName(validating: "news"))
            }
            // 5 tasks × 4 events × 2 streams (well-known and queue) + 5 custom events.
            try await eventually { onA.transport.messages.count == 45 && onB.transport.messages.count == 45 }
            let seenOnA = onA.transport.take()
            let seenOnB = onB.transport.take()
            #expect(positions(seenOnA) == positions(seenOnB), "the same events, numbered the same, in the same order")
            for stream in streams {
                let seqs = seenOnA.filter { $0["event_type"]?.stringValue == stream }.compactMap { $0["seq"]?.int64Value }
                #expect(seqs == Array(1...Int64(seqs.count)), "\(stream) is gapless")
            }
            let created = seenOnA.filter { $0["event_type"]?.stringValue == "task_created" }.compactMap { $0["task_id"]?.stringValue }
            #expect(created == ids)
            let news = seenOnA.filter { $0["event_type"]?.stringValue == "news" }.compactMap { $0["data"]?.int64Value }
            #expect(news == [0, 1, 2, 3, 4])
        }
    }

    @Test func aClientRecoversOnTheOtherNode() async throws {
        try await TestDatabase.withStores { stores in
            let (a, b) = try await twoNodes(stores)
            defer { a.running.cancel(); b.running.cancel() }
            let news = try StreamName(validating: "news")
            let onA = try a.subscriber(["news", "task_created"])
            for i in 1...3 { _ = await a.hub.publishAndCount(ServerMessage.customBody(data: ByteBuffer(string: "\(i)")), to: news) }
            let task = try await a.service.create(NewTask(name: "first"))
            try await eventually { onA.transport.messages.count == 4 }
            let seen = onA.transport.take()
            let last = try #require(seen.last { $0["event_type"]?.stringValue == "news" })
            let epoch = try #require(last["epoch"]?.stringValue)

            // The client is gone; events go on, published on both nodes; it comes back on B.
            for i in 4...6 { _ = await (i % 2 == 0 ? a.hub : b.hub).publishAndCount(ServerMessage.customBody(data: ByteBuffer(string: "\(i)")), to: news) }
            let second = try await b.service.create(NewTask(name: "second"))
            try await eventually { b.hub.position(of: news).seq == 6 && b.hub.position(of: .taskCreated).seq == 2 }
            let back = try b.subscriber([])
            let since = #"{"news":{"seq":3,"epoch":"\#(epoch)"},"task_created":{"seq":1,"epoch":"\#(epoch)"},"task:\#(task.id)":{"seq":0,"epoch":"\#(epoch)"}}"#
            b.hub.handleText(
                ByteBuffer(string: #"{"type":"subscribe","id":1,"event_types":["news","task_created","task:\#(task.id)"],"since":\#(since)}"#),
                from: back.client
            )
            try await eventually { back.transport.messages.count >= 6 }
            let messages = back.transport.take()
            let ack = try #require(messages.first)
            #expect(ack["recovered"] == .object(["news": .bool(true), "task_created": .bool(true), "task:\(task.id)": .bool(true)]))
            let replay = Array(messages.dropFirst())
            #expect(replay.filter { $0["event_type"]?.stringValue == "news" }.compactMap { $0["data"]?.int64Value } == [4, 5, 6])
            #expect(replay.filter { $0["event_type"]?.stringValue == "task_created" }.compactMap { $0["task_id"]?.stringValue } == [second.id])
            #expect(replay.filter { $0["event_type"]?.stringValue == "task:\(task.id)" }.compactMap { $0["seq"]?.int64Value } == [1])

            // Live events follow on B, without duplicates.
            a.hub.publish(ServerMessage.customBody(data: ByteBuffer(string: "7")), to: news)
            try await eventually { back.transport.messages.count == 1 }
            #expect(back.transport.take().first?["seq"]?.int64Value == 7)
        }
    }

    @Test func notificationsStatesAndDeliveryCounts() async throws {
        try await TestDatabase.withStores { stores in
            let (a, b) = try await twoNodes(stores)
            defer { a.running.cancel(); b.running.cancel() }
            let alice = try b.subscriber(["user_notification"], userID: "alice")
            let bob = try b.subscriber(["user_notification"], userID: "bob")
            try a.service.notify(level: "info", title: "hello", message: "alice only", userID: "alice")
            try await eventually { alice.transport.messages.count == 1 }
            #expect(alice.transport.take().first?["title"]?.stringValue == "hello")
            #expect(bob.transport.messages.isEmpty)

            // A state equal to the last one is dropped, whichever node publishes it.
            let status = try b.subscriber(["queue_status_changed"])
            let state = ServerMessage.customBody(data: ByteBuffer(string: "1"))
            a.hub.publishState(state, to: .queueStatusChanged)
            try await eventually { status.transport.messages.count == 1 }
            b.hub.publishState(state, to: .queueStatusChanged)
            b.hub.publishState(ServerMessage.customBody(data: ByteBuffer(string: "2")), to: .queueStatusChanged)
            try await eventually { status.transport.messages.count == 2 }
            #expect(status.transport.take().compactMap { $0["data"]?.int64Value } == [1, 2])

            // `publishAndCount` counts this node's connections reached, once the log delivered the event.
            let news = try StreamName(validating: "news")
            _ = try a.subscriber(["news"])
            _ = try a.subscriber(["news"])
            _ = try b.subscriber(["news"])
            #expect(await a.hub.publishAndCount(ServerMessage.customBody(data: ByteBuffer(string: "0")), to: news) == 2)
        }
    }

    /// Waits until `condition` holds, checking every 10 ms, for at most 30 s.
    func eventually(sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 30 s", sourceLocation: sourceLocation)
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

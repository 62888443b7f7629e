import MetricsTestKit
import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct ReplacementTests {
    private func update(_ task: String, status: String = "running", n: Int) -> ByteBuffer {
        ServerMessage.taskUpdateBody(taskID: task, status: status, progress: Double(n) / 10_000, message: "\(n)", queue: "default")
    }

    /// Publishes a progress update (replaceable, keyed by task) on `task_updated`.
    @discardableResult
    private func progress(_ fixture: HubFixture, _ task: String, _ n: Int) throws -> UInt64 {
        fixture.hub.publish(update(task, n: n), to: try stream("task_updated"), coalescingKey: task)
    }

    /// Publishes a terminal event (never replaced) on `task_updated`.
    @discardableResult
    private func terminal(_ fixture: HubFixture, _ task: String) throws -> UInt64 {
        fixture.hub.publish(update(task, status: "cancelled", n: -1), to: try stream("task_updated"))
    }

    @Test func aConnectedClientGetsEveryUpdate() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["task_updated"])
        for n in 1...20 { try progress(fixture, "t\(n % 2)", n) }
        #expect(peer.transport.take().map { $0.int("seq") } == (1...20).map { Int64($0) })
        #expect(fixture.hub.metricsSnapshot().replacedUpdates == 0)
    }

    @Test func aStalledClientSkipsSupersededUpdatesOnly() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["task_updated"])
        peer.transport.isWritable = false
        try progress(fixture, "a", 1)  // 1: superseded by 3
        try progress(fixture, "b", 2)  // 2: superseded by 5
        try progress(fixture, "a", 3)  // 3: latest of a
        try terminal(fixture, "c")     // 4: terminal
        try progress(fixture, "b", 5)  // 5: superseded by 6
        try progress(fixture, "b", 6)  // 6: latest of b
        fixture.hub.publish(ServerMessage.customBody(data: ByteBuffer(string: "1")), to: try stream("task_updated"))  // 7
        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        #expect(peer.transport.take().map { $0.int("seq") } == [3, 4, 6, 7])
        #expect(peer.transport.closeCode == nil)
        #expect(fixture.hub.metricsSnapshot().replacedUpdates == 3)
        #expect(try fixture.metrics.expectCounter("taskwire_replaced_updates_total").totalValue == 3)
    }

    @Test func anUpdateAlreadySentIsNotAffected() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["task_updated"])
        try progress(fixture, "a", 1)
        peer.transport.isWritable = false
        try progress(fixture, "a", 2)
        try progress(fixture, "a", 3)
        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        #expect(peer.transport.take().map { $0.int("seq") } == [1, 3])
    }

    @Test func stalledClientAmongManyKeepsLatestUpdatesAndEveryTerminalEvent() throws {
        let fixture = HubFixture()  // log bound: 4096 messages
        let tasks = (0..<10).map { "task-\($0)" }
        var others: [Peer] = []
        for i in 0..<50 { others.append(try fixture.connected(shard: i % 2, subscriptions: ["task_updated"])) }
        let stalled = try fixture.connected(shard: 1, subscriptions: ["task_updated"])
        stalled.transport.isWritable = false

        var latestSeq: [String: UInt64] = [:]
        var terminalSeqs: [UInt64] = []
        for n in 0..<10_000 {
            let task = tasks[n % tasks.count]
            latestSeq[task] = try progress(fixture, task, n)
            // A few terminal events along the way (within the log's bound of the end).
            if n >= 9_000 && n % 250 == 0 { terminalSeqs.append(try terminal(fixture, "other-\(n)")) }
        }
        for task in tasks { terminalSeqs.append(try terminal(fixture, task)) }
        let total = 10_000 + terminalSeqs.count

        for peer in others {
            let seqs = peer.transport.take().map { $0.int("seq") }
            #expect(seqs == (1...total).map { Int64($0) })
            #expect(peer.transport.closeCode == nil)
        }

        #expect(stalled.transport.closeCode == nil)
        #expect(stalled.transport.messages.isEmpty)
        stalled.transport.isWritable = true
        fixture.hub.resumeOutput(of: stalled.client)
        let received = stalled.transport.take()
        let seqs = received.compactMap { $0.int("seq") }.map { UInt64($0) }
        #expect(seqs.count == received.count)
        #expect(seqs == seqs.sorted())
        #expect(Set(seqs).count == seqs.count)
        let got = Set(seqs)
        for task in tasks { #expect(got.contains(latestSeq[task]!)) }
        for seq in terminalSeqs { #expect(got.contains(seq)) }
        // Nothing that is neither a latest update nor a terminal event survived a full backlog.
        #expect(seqs.count < total)
        #expect(stalled.transport.closeCode == nil)
        #expect(stalled.client.currentState == .connected)
        #expect(fixture.hub.metricsSnapshot().slowConsumerDisconnects == 0)
        #expect(fixture.hub.metricsSnapshot().replacedUpdates == total - seqs.count)

        // Live again: later events flow normally.
        try progress(fixture, tasks[0], 10_001)
        #expect(stalled.transport.take().map { $0.int("seq") } == [Int64(total + 1)])
    }

    @Test func stalledClientPastTheBoundWithEssentialEventsIsClosed() throws {
        let fixture = HubFixture { $0.outboundQueueMessages = 100 }
        let stalled = try fixture.connected(subscriptions: ["task_updated"])
        let other = try fixture.connected(subscriptions: ["task_updated"])
        stalled.transport.isWritable = false
        // Replaceable updates alone do not make it a slow consumer...
        for n in 0..<1_000 { try progress(fixture, "t\(n % 5)", n) }
        stalled.transport.isWritable = true
        fixture.hub.resumeOutput(of: stalled.client)
        #expect(stalled.transport.closeCode == nil)
        #expect(stalled.transport.take().count == 5)
        // ...but terminal events past the bound do.
        stalled.transport.isWritable = false
        for n in 0..<101 { try terminal(fixture, "t\(n)") }
        stalled.transport.isWritable = true
        fixture.hub.resumeOutput(of: stalled.client)
        #expect(stalled.transport.closeCode == .slowConsumer)
        #expect(fixture.hub.metricsSnapshot().slowConsumerDisconnects == 1)
        #expect(other.transport.take().count == 1_101)
        #expect(other.transport.closeCode == nil)
    }

    @Test func taskEventsAreNotReplacedAcrossKeys() throws {
        let fixture = HubFixture()
        let peer = try fixture.connected(subscriptions: ["task_updated"])
        peer.transport.isWritable = false
        try progress(fixture, "a", 1)
        try progress(fixture, "b", 2)
        try progress(fixture, "c", 3)
        peer.transport.isWritable = true
        fixture.hub.resumeOutput(of: peer.client)
        #expect(peer.transport.take().map { $0.int("seq") } == [1, 2, 3])
    }
}

import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting

/// A task's stream is numbered by the store, which keeps its whole history: `since` seq 0
/// replays every event of the task, also on a hub that never saw them (after a restart).
@Suite struct TaskHistoryTests {
    /// Creates a task and takes it through claim, two progress reports and completion.
    private func runTask(_ service: TaskService) async throws -> String {
        let task = try await service.create(NewTask(name: "render"))
        _ = try await service.claim(queue: "default", workerID: "w", leaseSeconds: 30)
        _ = try await service.progress(id: task.id, workerID: "w", progress: 0.25, message: "a quarter")
        _ = try await service.progress(id: task.id, workerID: "w", progress: 0.75, message: nil)
        _ = try await service.complete(id: task.id, workerID: "w", result: "true")
        return task.id
    }

    /// Subscribes `subscriber` to `task:<id>` from `since`, and returns the ack and the events after it.
    private func resubscribe(_ fixture: QueueFixture, _ subscriber: Subscriber, task id: String, seq: UInt64, epoch: String) async throws -> (JSONValue, [JSONValue]) {
        let since = #"{"task:\#(id)":{"seq":\#(seq),"epoch":"\#(epoch)"}}"#
        fixture.hub.handleText(ByteBuffer(string: #"{"type":"subscribe","id":1,"event_types":["task:\#(id)"],"since":\#(since)}"#), from: subscriber.client)
        for _ in 0..<2500 {
            if subscriber.transport.parsedMessages.contains(where: { $0["type"]?.stringValue == "ack" }) {
                // The replay follows the ack from the shard's thread: let it be written too.
                try await Task.sleep(for: .milliseconds(100))
                let messages = subscriber.transport.parsedMessages
                let index = messages.firstIndex(where: { $0["type"]?.stringValue == "ack" })!
                return (messages[index], Array(messages[(index + 1)...]))
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw TaskwireError(.internal, "no ack")
    }

    @Test func sinceZeroReplaysTheWholeHistoryAfterARestart() async throws {
        let store = InMemoryTaskStore()
        let before = QueueFixture(store: store)
        let id = try await runTask(before.service)

        // A new hub on the same store, as after a restart: it saw none of the task's events.
        let after = QueueFixture(store: store)
        let subscriber = try after.subscriber([])
        let (ack, events) = try await resubscribe(after, subscriber, task: id, seq: 0, epoch: "")
        #expect(ack["recovered"] == .object(["task:\(id)": .bool(true)]))
        #expect(events.map { $0["seq"]?.int64Value } == [1, 2, 3, 4, 5])
        #expect(events.map { $0["status"]?.stringValue } == ["pending", "running", "running", "running", "completed"])
        #expect(events.map { $0["progress"]?.doubleValue } == [nil, nil, 0.25, 0.75, 1])
        #expect(events.allSatisfy { $0["epoch"]?.stringValue == store.eventEpoch && $0["event_type"]?.stringValue == "task:\(id)" })

        // From a seq seen before the restart: only what followed.
        let again = try after.subscriber([])
        let (_, rest) = try await resubscribe(after, again, task: id, seq: 3, epoch: store.eventEpoch)
        #expect(rest.map { $0["seq"]?.int64Value } == [4, 5])
    }

    @Test func liveEventsContinueTheStoresNumbering() async throws {
        let store = InMemoryTaskStore()
        let before = QueueFixture(store: store)
        let task = try await before.service.create(NewTask(name: "render"))
        _ = try await before.service.claim(queue: "default", workerID: "w", leaseSeconds: 30)

        let after = QueueFixture(store: store)
        let watcher = try after.subscriber([.task(task.id)])
        _ = try await after.service.progress(id: task.id, workerID: "w", progress: 0.5, message: nil)
        let live = watcher.transport.take()
        #expect(live.map { $0["seq"]?.int64Value } == [3])
        #expect(live.first?["epoch"]?.stringValue == store.eventEpoch)
        #expect(try await store.task(id: task.id)?.eventSeq == 3)
    }
}

import Synchronization
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting

/// `queue_status_changed`: many changes, one event with the right counts, only when they changed.
@Suite struct QueueStatusPublisherTests {
    @Test func manyChangesMakeOneEventWithTheCountsAndEveryQueue() async throws {
        let fixture = QueueFixture()
        let watcher = try fixture.subscriber([.queueStatusChanged])
        let service = fixture.service
        for i in 0..<5 { _ = try await service.create(NewTask(queue: "emails", name: "e\(i)")) }
        for i in 0..<3 { _ = try await service.create(NewTask(queue: "images", name: "i\(i)")) }
        let a = try #require(try await service.claim(queue: "emails", workerID: "w", leaseSeconds: 30))
        let b = try #require(try await service.claim(queue: "emails", workerID: "w", leaseSeconds: 30))
        _ = try await service.claim(queue: "images", workerID: "w", leaseSeconds: 30)
        _ = try await service.complete(id: a.id, workerID: "w", result: "null")
        _ = try await service.fail(id: b.id, workerID: "w", error: "x", retry: false)
        let cancelled = try await service.create(NewTask(queue: "images", name: "c"))
        _ = try await service.cancel(id: cancelled.id)
        #expect(watcher.transport.take().isEmpty, "changes alone publish no status")

        try await service.statusPublisher.publishIfChanged()
        let events = watcher.transport.take()
        #expect(events.count == 1)
        let status = try #require(events.first)
        #expect(status["type"]?.stringValue == "queue_status")
        #expect(status["event_type"]?.stringValue == "queue_status_changed")
        func counts(_ object: JSONValue?) -> [String: Int64] {
            let keys = ["total_tasks", "pending_tasks", "running_tasks", "completed_tasks", "failed_tasks", "cancelled_tasks"]
            var result: [String: Int64] = [:]
            for key in keys { result[key] = object?[key]?.int64Value }
            return result
        }
        #expect(counts(status) == [
            "total_tasks": 9, "pending_tasks": 5, "running_tasks": 1, "completed_tasks": 1, "failed_tasks": 1, "cancelled_tasks": 1,
        ])
        #expect(counts(status["queues"]?["emails"]) == [
            "total_tasks": 5, "pending_tasks": 3, "running_tasks": 0, "completed_tasks": 1, "failed_tasks": 1, "cancelled_tasks": 0,
        ])
        #expect(counts(status["queues"]?["images"]) == [
            "total_tasks": 4, "pending_tasks": 2, "running_tasks": 1, "completed_tasks": 0, "failed_tasks": 0, "cancelled_tasks": 1,
        ])
        guard case .object(let queues)? = status["queues"] else {
            Issue.record("queues is not an object")
            return
        }
        #expect(queues.keys.sorted() == ["emails", "images"])
    }

    @Test func nothingIsPublishedWithoutAChangeOfTheCounts() async throws {
        let fixture = QueueFixture()
        let watcher = try fixture.subscriber([.queueStatusChanged])
        let service = fixture.service
        let task = try await service.create(NewTask(name: "n"))
        try await service.statusPublisher.publishIfChanged()
        #expect(watcher.transport.take().count == 1)

        try await service.statusPublisher.publishIfChanged()
        #expect(watcher.transport.take().isEmpty, "no commit since: nothing to publish")

        _ = try await service.claim(queue: "default", workerID: "w", leaseSeconds: 30)
        _ = try await service.heartbeat(id: task.id, workerID: "w", leaseSeconds: 30)
        _ = try await service.progress(id: task.id, workerID: "w", progress: 0.5, message: nil)
        try await service.statusPublisher.publishIfChanged()
        #expect(watcher.transport.take().count == 1, "the claim changed the counts")

        _ = try await service.heartbeat(id: task.id, workerID: "w", leaseSeconds: 30)
        try await service.statusPublisher.publishIfChanged()
        #expect(watcher.transport.take().isEmpty, "commits that leave the counts alone publish nothing")
    }
}

/// A store whose `counts()` fails while `failing` is set.
final class FlakyCountsStore: ForwardingTaskStore, @unchecked Sendable {
    let failing = Mutex(false)

    override func counts() async throws -> QueueCounts {
        if failing.withLock({ $0 }) { throw TaskQueueError(.unavailable, "store down") }
        return try await base.counts()
    }
}

extension QueueStatusPublisherTests {
    @Test func aChangeSeenWhileTheStoreFailsIsPublishedOnceItAnswers() async throws {
        let store = FlakyCountsStore()
        let fixture = QueueFixture(store: store)
        let watcher = try fixture.subscriber([.queueStatusChanged])
        _ = try await fixture.service.create(NewTask(name: "n"))

        store.failing.withLock { $0 = true }
        await #expect(throws: TaskQueueError.self) { try await fixture.service.statusPublisher.publishIfChanged() }
        #expect(watcher.transport.take().isEmpty)

        store.failing.withLock { $0 = false }
        try await fixture.service.statusPublisher.publishIfChanged()
        let events = watcher.transport.take()
        #expect(events.count == 1)
        #expect(events.first?["pending_tasks"]?.int64Value == 1)
    }
}

import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting

/// The events a task's life sends, on exactly the protocol's streams.
@Suite struct TaskServiceEventTests {
    @Test func aTasksLifeFromCreationToCompletion() async throws {
        let fixture = QueueFixture()
        let watcher = try fixture.taskWatcher(queue: "imaging")
        let task = try await fixture.service.create(NewTask(queue: "imaging", name: "resize", payload: #"{"w":640}"#))

        let created = watcher.events()
        #expect(created.streams == ["task_created", "queue:imaging"])
        #expect(created.allSatisfy { $0.type == "task_update" && $0.taskID == task.id && $0.status == "pending" && $0.queue == "imaging" })
        #expect(fixture.hub.position(of: .task(task.id)).seq == 1, "task_created also went to task:<id>")
        try fixture.hub.subscribe(watcher.client, to: [.task(task.id)])

        let claimed = try #require(try await fixture.service.claim(queue: "imaging", workerID: "w1", leaseSeconds: 30))
        #expect(claimed.id == task.id && claimed.status == .running && claimed.attempts == 1)
        let claimEvents = watcher.events()
        #expect(claimEvents.streams == ["task_updated", "task:\(task.id)", "queue:imaging"])
        #expect(claimEvents.allSatisfy { $0.status == "running" && $0.progress == nil && $0.message == nil })

        _ = try await fixture.service.progress(id: task.id, workerID: "w1", progress: 0.5, message: "half way")
        let progressEvents = watcher.events()
        #expect(progressEvents.streams == ["task_updated", "task:\(task.id)", "queue:imaging"])
        #expect(progressEvents.allSatisfy { $0.status == "running" && $0.progress == 0.5 && $0.message == "half way" })

        fixture.clock.advance(by: .seconds(10))
        let renewed = try await fixture.service.heartbeat(id: task.id, workerID: "w1", leaseSeconds: 60)
        #expect(renewed.leaseExpiresAt == fixture.clock.now() + .seconds(60))
        #expect(watcher.events().isEmpty, "a lease renewal is not an event")

        let done = try await fixture.service.complete(id: task.id, workerID: "w1", result: #"{"url":"x.png"}"#)
        #expect(done.status == .completed && done.result == #"{"url":"x.png"}"#)
        let completed = watcher.events()
        #expect(completed.streams == ["task_completed", "task:\(task.id)", "queue:imaging"])
        #expect(completed.allSatisfy { $0.status == "completed" && $0.progress == 1 })
        #expect(fixture.hub.position(of: .task(task.id)).seq == 4)
        #expect(try await fixture.service.task(id: task.id) == done)
    }

    @Test func failureWithRetryRequeuesThenFails() async throws {
        let fixture = QueueFixture()
        let watcher = try fixture.taskWatcher()
        let task = try await fixture.service.create(NewTask(name: "flaky", maxAttempts: 2))
        try fixture.hub.subscribe(watcher.client, to: [.task(task.id)])
        _ = watcher.events()

        _ = try await fixture.service.claim(queue: "default", workerID: "w1", leaseSeconds: 30)
        _ = watcher.events()
        let retried = try await fixture.service.fail(id: task.id, workerID: "w1", error: "timeout", retry: true)
        #expect(retried.status == .pending && retried.error == "timeout" && retried.workerID == nil)
        let requeued = watcher.events()
        #expect(requeued.streams == ["task_updated", "task:\(task.id)", "queue:default"])
        #expect(requeued.allSatisfy { $0.status == "pending" && $0.message == "retrying after error" })

        let again = try #require(try await fixture.service.claim(queue: "default", workerID: "w2", leaseSeconds: 30))
        #expect(again.attempts == 2)
        _ = watcher.events()
        let failed = try await fixture.service.fail(id: task.id, workerID: "w2", error: "timeout again", retry: true)
        #expect(failed.status == .failed && failed.attempts == 2)
        let failedEvents = watcher.events()
        #expect(failedEvents.streams == ["task_failed", "task:\(task.id)", "queue:default"])
        #expect(failedEvents.allSatisfy { $0.status == "failed" })

        await #expect(throws: TaskQueueError.self) {
            _ = try await fixture.service.fail(id: task.id, workerID: "w2", error: "late", retry: true)
        }
        #expect(watcher.events().isEmpty, "a refused call sends nothing")
    }

    @Test func anExpiredLeaseRequeuesTheTaskThenFailsItAtMaxAttempts() async throws {
        let fixture = QueueFixture()
        let watcher = try fixture.taskWatcher()
        let task = try await fixture.service.create(NewTask(name: "slow", maxAttempts: 2))
        _ = try await fixture.service.claim(queue: "default", workerID: "w1", leaseSeconds: 30)
        _ = watcher.events()

        fixture.clock.advance(by: .seconds(29))
        #expect(try await fixture.service.expireLeases().isEmpty, "a live lease is left alone")
        #expect(watcher.events().isEmpty)

        fixture.clock.advance(by: .seconds(1))
        let expired = try await fixture.service.expireLeases()
        #expect(expired.map(\.id) == [task.id])
        #expect(expired.first?.status == .pending && expired.first?.message == "lease expired")
        let requeued = watcher.events()
        #expect(requeued.streams == ["task_updated", "queue:default"])
        #expect(requeued.allSatisfy { $0.status == "pending" && $0.message == "lease expired" })

        let error = await #expect(throws: TaskQueueError.self) {
            _ = try await fixture.service.complete(id: task.id, workerID: "w1", result: "null")
        }
        #expect(error?.code == .conflict, "the worker whose lease expired is refused")

        _ = try await fixture.service.claim(queue: "default", workerID: "w2", leaseSeconds: 5)
        _ = watcher.events()
        fixture.clock.advance(by: .seconds(6))
        let failed = try await fixture.service.expireLeases()
        #expect(failed.first?.status == .failed && failed.first?.error == "lease expired")
        let failedEvents = watcher.events()
        #expect(failedEvents.streams == ["task_failed", "queue:default"])
        #expect(failedEvents.allSatisfy { $0.status == "failed" && $0.message == "lease expired" })
    }

    @Test func cancellingSendsAnUpdateAndASecondCancelIsAConflict() async throws {
        let fixture = QueueFixture()
        let watcher = try fixture.taskWatcher()
        let pending = try await fixture.service.create(NewTask(name: "p"))
        let running = try await fixture.service.create(NewTask(name: "r", priority: 1))
        _ = try await fixture.service.claim(queue: "default", workerID: "w1", leaseSeconds: 30)
        _ = watcher.events()

        for task in [pending, running] {
            let cancelled = try await fixture.service.cancel(id: task.id)
            #expect(cancelled.status == .cancelled)
            let events = watcher.events()
            #expect(events.streams == ["task_updated", "queue:default"])
            #expect(events.allSatisfy { $0.status == "cancelled" && $0.taskID == task.id })

            let error = await #expect(throws: TaskQueueError.self) { _ = try await fixture.service.cancel(id: task.id) }
            #expect(error?.code == .conflict)
            #expect(watcher.events().isEmpty)
        }
        let error = await #expect(throws: TaskQueueError.self) {
            _ = try await fixture.service.progress(id: running.id, workerID: "w1", progress: 0.9, message: nil)
        }
        #expect(error?.code == .conflict, "the worker of a cancelled task is refused")
    }

    @Test func retryingAFailedTaskSendsAnUpdateAndItCanBeClaimedAgain() async throws {
        let fixture = QueueFixture()
        let watcher = try fixture.taskWatcher()
        let task = try await fixture.service.create(NewTask(name: "once", maxAttempts: 1))
        _ = try await fixture.service.claim(queue: "default", workerID: "w1", leaseSeconds: 30)
        _ = try await fixture.service.fail(id: task.id, workerID: "w1", error: "boom", retry: true)
        _ = watcher.events()

        let retried = try await fixture.service.retry(id: task.id)
        #expect(retried.status == .pending && retried.attempts == 0 && retried.error == nil)
        let events = watcher.events()
        #expect(events.streams == ["task_updated", "queue:default"])
        #expect(events.allSatisfy { $0.status == "pending" && $0.message == "retried" && $0.taskID == task.id })
        let error = await #expect(throws: TaskQueueError.self) { _ = try await fixture.service.retry(id: task.id) }
        #expect(error?.code == .conflict, "a pending task is not retried")
        #expect(watcher.events().isEmpty)

        let claimed = try #require(try await fixture.service.claim(queue: "default", workerID: "w2", leaseSeconds: 30))
        #expect(claimed.id == task.id && claimed.attempts == 1)
    }

    @Test func claimWithNothingPendingIsNilAndSendsNothing() async throws {
        let fixture = QueueFixture()
        let watcher = try fixture.taskWatcher()
        #expect(try await fixture.service.claim(queue: "default", workerID: "w1", leaseSeconds: 30) == nil)
        #expect(watcher.events().isEmpty)
    }

    @Test func unknownOrMalformedIDsAreNotFound() async throws {
        let fixture = QueueFixture()
        for id in ["0f8b1c52-0000-4000-8000-000000000000", "bad id!", ""] {
            let read = await #expect(throws: TaskQueueError.self) { _ = try await fixture.service.task(id: id) }
            #expect(read?.code == .notFound)
            let cancel = await #expect(throws: TaskQueueError.self) { _ = try await fixture.service.cancel(id: id) }
            #expect(cancel?.code == .notFound)
        }
    }
}

import Testing
import TaskwireHub
import TaskwireQueue

/// Every rule of ``TaskTransitions``, and every refusal (409).
@Suite struct TaskTransitionsTests {
    let now = Timestamp(nanosecondsSinceEpoch: 1_800_000_000_000_000_000)

    func pending(maxAttempts: Int = 3) -> TaskRecord {
        TaskRecord(
            id: "t1", queue: "q", name: "n", payload: "{}", priority: 0, status: .pending,
            maxAttempts: maxAttempts, createdAt: now, updatedAt: now
        )
    }

    /// A task claimed by `w1` at `now` for 30 s.
    func running(maxAttempts: Int = 3) -> TaskRecord {
        var task = pending(maxAttempts: maxAttempts)
        TaskTransitions.claim(&task, workerID: "w1", lease: .seconds(30), now: now)
        return task
    }

    func conflict(_ body: () throws(TaskQueueError) -> Void) -> TaskQueueError? {
        do throws(TaskQueueError) {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func claimMakesTheTaskRunningForTheWorkerAndCountsTheAttempt() {
        var task = pending()
        task.progress = 0.5
        task.message = "old"
        TaskTransitions.claim(&task, workerID: "w1", lease: .seconds(30), now: now)
        #expect(task.status == .running)
        #expect(task.attempts == 1)
        #expect(task.workerID == "w1")
        #expect(task.leaseExpiresAt == now + .seconds(30))
        #expect(task.progress == nil && task.message == nil)
        #expect(task.updatedAt == now)
    }

    @Test func progressSetsOnlyWhatIsGiven() throws {
        var task = running()
        let later = now + .seconds(1)
        try TaskTransitions.progress(&task, workerID: "w1", progress: 0.5, message: nil, now: later)
        #expect(task.progress == 0.5 && task.message == nil && task.updatedAt == later)
        try TaskTransitions.progress(&task, workerID: "w1", progress: nil, message: "half", now: later)
        #expect(task.progress == 0.5 && task.message == "half")
        #expect(task.status == .running)
    }

    @Test func heartbeatRenewsTheLeaseFromNow() throws {
        var task = running()
        let later = now + .seconds(20)
        try TaskTransitions.heartbeat(&task, workerID: "w1", lease: .seconds(60), now: later)
        #expect(task.leaseExpiresAt == later + .seconds(60))
        #expect(task.updatedAt == later)
        #expect(task.status == .running)
    }

    @Test func completeStoresTheResultAndEndsTheLease() throws {
        var task = running()
        task.error = "from an earlier attempt"
        try TaskTransitions.complete(&task, workerID: "w1", result: #"{"ok":true}"#, now: now + .seconds(2))
        #expect(task.status == .completed)
        #expect(task.progress == 1)
        #expect(task.result == #"{"ok":true}"#)
        #expect(task.error == nil)
        #expect(task.leaseExpiresAt == nil)
    }

    @Test func failWithRetryRequeuesWhileAttemptsRemainThenFails() throws {
        var task = running(maxAttempts: 2)
        try TaskTransitions.fail(&task, workerID: "w1", error: "boom", retry: true, now: now + .seconds(1))
        #expect(task.status == .pending)
        #expect(task.workerID == nil && task.leaseExpiresAt == nil)
        #expect(task.error == "boom")
        #expect(task.message == "retrying after error")

        TaskTransitions.claim(&task, workerID: "w2", lease: .seconds(30), now: now + .seconds(2))
        #expect(task.attempts == 2)
        try TaskTransitions.fail(&task, workerID: "w2", error: "boom again", retry: true, now: now + .seconds(3))
        #expect(task.status == .failed)
        #expect(task.error == "boom again")
        #expect(task.leaseExpiresAt == nil)
    }

    @Test func failWithoutRetryFailsAtOnce() throws {
        var task = running(maxAttempts: 5)
        try TaskTransitions.fail(&task, workerID: "w1", error: "fatal", retry: false, now: now + .seconds(1))
        #expect(task.status == .failed)
        #expect(task.error == "fatal")
    }

    @Test(arguments: [TaskStatus.pending, .running])
    func cancelStopsAnUnfinishedTask(_ status: TaskStatus) throws {
        var task = status == .pending ? pending() : running()
        try TaskTransitions.cancel(&task, now: now + .seconds(1))
        #expect(task.status == .cancelled)
        #expect(task.leaseExpiresAt == nil)
        #expect(task.updatedAt == now + .seconds(1))
    }

    @Test(arguments: [TaskStatus.completed, .failed, .cancelled])
    func cancellingAFinishedTaskIsAConflict(_ status: TaskStatus) {
        var task = pending()
        task.status = status
        let error = conflict { () throws(TaskQueueError) in try TaskTransitions.cancel(&task, now: now) }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains(status.rawValue) == true)
        #expect(task.status == status)
    }

    @Test(arguments: [TaskStatus.failed, .cancelled])
    func retryMakesAFailedOrCancelledTaskPendingWithEveryAttemptAgain(_ status: TaskStatus) throws {
        var task = running(maxAttempts: 2)
        try TaskTransitions.progress(&task, workerID: "w1", progress: 0.4, message: "working", now: now + .seconds(1))
        if status == .failed {
            try TaskTransitions.fail(&task, workerID: "w1", error: "boom", retry: false, now: now + .seconds(2))
        } else {
            try TaskTransitions.cancel(&task, now: now + .seconds(2))
        }
        let before = task
        try TaskTransitions.retry(&task, now: now + .seconds(3))
        #expect(task.status == .pending)
        #expect(task.attempts == 0 && task.maxAttempts == 2)
        #expect(task.error == nil && task.result == nil)
        #expect(task.workerID == nil && task.leaseExpiresAt == nil)
        #expect(task.progress == nil && task.message == "retried")
        #expect(task.updatedAt == now + .seconds(3))
        #expect(task.id == before.id && task.createdAt == before.createdAt && task.payload == before.payload)
        #expect(task.priority == before.priority && task.queue == before.queue)

        // It can be claimed, and fail with retry, as a new task can.
        TaskTransitions.claim(&task, workerID: "w2", lease: .seconds(30), now: now + .seconds(4))
        #expect(task.attempts == 1)
        try TaskTransitions.fail(&task, workerID: "w2", error: "again", retry: true, now: now + .seconds(5))
        #expect(task.status == .pending, "one attempt of two used: requeued")
    }

    @Test(arguments: [TaskStatus.pending, .running, .completed])
    func retryingATaskThatIsNotFailedOrCancelledIsAConflict(_ status: TaskStatus) throws {
        var task = status == .pending ? pending() : running()
        if status == .completed {
            try TaskTransitions.complete(&task, workerID: "w1", result: "1", now: now + .seconds(1))
        }
        let original = task
        let error = conflict { () throws(TaskQueueError) in try TaskTransitions.retry(&task, now: now + .seconds(2)) }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains(status.rawValue) == true)
        #expect(task == original, "a refused retry changes nothing")
    }

    @Test func leaseExpiryRequeuesWhileAttemptsRemain() {
        var task = running(maxAttempts: 2)
        TaskTransitions.expireLease(&task, now: now + .seconds(31))
        #expect(task.status == .pending)
        #expect(task.message == "lease expired")
        #expect(task.workerID == nil && task.leaseExpiresAt == nil)
        #expect(task.updatedAt == now + .seconds(31))
    }

    @Test func leaseExpiryFailsTheTaskAtMaxAttempts() {
        var task = running(maxAttempts: 1)
        TaskTransitions.expireLease(&task, now: now + .seconds(31))
        #expect(task.status == .failed)
        #expect(task.error == "lease expired")
        #expect(task.message == "lease expired")
        #expect(task.workerID == nil)
    }

    /// Every worker call, refused the same three ways.
    static let workerCalls: [(String, @Sendable (inout TaskRecord, String, Timestamp) throws(TaskQueueError) -> Void)] = [
        ("progress", { task, worker, now throws(TaskQueueError) in
            try TaskTransitions.progress(&task, workerID: worker, progress: 0.1, message: nil, now: now)
        }),
        ("heartbeat", { task, worker, now throws(TaskQueueError) in
            try TaskTransitions.heartbeat(&task, workerID: worker, lease: .seconds(30), now: now)
        }),
        ("complete", { task, worker, now throws(TaskQueueError) in
            try TaskTransitions.complete(&task, workerID: worker, result: "null", now: now)
        }),
        ("fail", { task, worker, now throws(TaskQueueError) in
            try TaskTransitions.fail(&task, workerID: worker, error: "e", retry: true, now: now)
        }),
    ]

    @Test(arguments: 0..<4)
    func workerCallsAreConflictsForAnotherWorkerATaskNotRunningOrAnExpiredLease(_ index: Int) {
        let (name, call) = Self.workerCalls[index]
        let original = running()
        var task = original

        var error = conflict { () throws(TaskQueueError) in try call(&task, "w2", now + .seconds(1)) }
        #expect(error?.code == .conflict, "\(name) by another worker")
        #expect(error?.message.contains("another worker") == true)

        for status in [TaskStatus.pending, .completed, .failed, .cancelled] {
            task.status = status
            error = conflict { () throws(TaskQueueError) in try call(&task, "w1", now + .seconds(1)) }
            #expect(error?.code == .conflict, "\(name) on a \(status) task")
            #expect(error?.message.contains("not running") == true)
        }

        task = original
        for late in [Duration.seconds(30), .seconds(31)] {
            error = conflict { () throws(TaskQueueError) in try call(&task, "w1", now + late) }
            #expect(error?.code == .conflict, "\(name) \(late) after the claim")
            #expect(error?.message.contains("expired") == true)
        }
        #expect(task == original, "a refused \(name) changes nothing")
    }
}

import TaskwireHub
import TaskwireQueue

extension TaskStoreConformance {
    /// The claim transition every check uses: `worker` holds the task for 30 s from `now`.
    static func claim(_ worker: String, at now: Timestamp = start + .seconds(60)) -> @Sendable (inout TaskRecord) -> Void {
        { TaskTransitions.claim(&$0, workerID: worker, lease: .seconds(30), now: now) }
    }

    /// Claims take the pending task of the queue with the highest priority, then the oldest
    /// (a requeued task keeps its place), skip tasks that are not pending and never cross queues.
    /// Each claim is stored, returned and reported once.
    public func claimOrderIsPriorityThenAge() async throws {
        let store = try await freshStore()
        let recorder = CommitRecorder()
        try await insert(
            [
                Self.makeTask("a", queue: "q", priority: 0, offset: 1),
                Self.makeTask("b", queue: "q", priority: 5, offset: 2),
                Self.makeTask("c", queue: "q", priority: 5, offset: 3),
                Self.makeTask("d", queue: "q", priority: -1, offset: 4),
                Self.makeTask("e", queue: "q", priority: 10, status: .running, offset: 5),
                Self.makeTask("f", queue: "q", priority: 10, status: .completed, offset: 6),
                Self.makeTask("g", queue: "q", priority: 0, offset: 7),
                Self.makeTask("h", queue: "other", priority: 100, offset: 8),
            ],
            into: store
        )

        let firstB = try await store.claimNext(queue: "q", Self.claim("w1"), onCommit: recorder.observer)
        try expectEqual(firstB?.id, "b", "first claim of q")
        // Requeue b as a failed attempt with retry would: it is still older than c.
        _ = try await store.update(
            id: "b",
            { try TaskTransitions.fail(&$0, workerID: "w1", error: "flaky", retry: true, now: Self.start + .seconds(61)) },
            onCommit: recorder.observer
        )
        _ = recorder.take()

        var claimed: [String] = []
        while let task = try await store.claimNext(queue: "q", Self.claim("w2"), onCommit: recorder.observer) {
            claimed.append(task.id)
            let change = try expectSingleChange(recorder.take(), of: task.id, "claim of \(task.id)")
            let before = try expectPresent(change.before, "the task \(task.id) before its claim in the report")
            var expected = before
            Self.claim("w2")(&expected)
            try expectEqual(before.status, .pending, "status of \(task.id) before its claim")
            try expectEqual(task, expected, "the claimed task \(task.id)")
            try expectEqual(try await store.task(id: task.id), task, "task \(task.id) as stored after its claim")
            try expect(claimed.count <= 5, "claims of q end")
        }
        try expectEqual(claimed, ["b", "c", "a", "g", "d"], "claim order in q")
        try expectEqual(recorder.recorded, [], "reports of a claim that found nothing")
        try expectEqual(try await store.task(id: "b")?.attempts, 2, "attempts of a task claimed twice")

        try expectEqual(try await store.claimNext(queue: "other", Self.claim("w3"), onCommit: recorder.observer)?.id, "h", "claim of other")
        try expectEqual(try await store.claimNext(queue: "other", Self.claim("w3"), onCommit: { _ in }), nil, "second claim of other")
        try expectEqual(try await store.task(id: "e"), Self.makeTask("e", queue: "q", priority: 10, status: .running, offset: 5), "a running task")
        try expectEqual(try await store.task(id: "f"), Self.makeTask("f", queue: "q", priority: 10, status: .completed, offset: 6), "a completed task")
    }

    /// With nothing pending (an empty store, an unknown queue, only finished or running tasks)
    /// a claim returns nil, writes nothing and reports nothing.
    public func claimWithNothingPendingIsNil() async throws {
        let store = try await freshStore()
        let recorder = CommitRecorder()
        try expectEqual(try await store.claimNext(queue: "default", Self.claim("w"), onCommit: recorder.observer), nil, "claim in an empty store")
        let tasks: [TaskRecord] = [
            Self.makeTask("r", status: .running),
            Self.makeTask("c", status: .completed),
            Self.makeTask("f", status: .failed),
            Self.makeTask("x", status: .cancelled),
            Self.makeTask("elsewhere", queue: "other"),
        ]
        try await insert(tasks, into: store)
        try expectEqual(try await store.claimNext(queue: "default", Self.claim("w"), onCommit: recorder.observer), nil, "claim with nothing pending")
        try expectEqual(try await store.claimNext(queue: "missing", Self.claim("w"), onCommit: recorder.observer), nil, "claim of an unknown queue")
        try expectEqual(recorder.recorded, [], "reports of claims that found nothing")
        try expectEqual(try await allTasks(of: store), tasks.reversed(), "tasks after claims that found nothing")
    }

    /// `expireLeases(now:)` changes exactly the running tasks (of every queue) whose lease ended
    /// at or before `now`, returns them, and reports them in one call; with none, it reports nothing.
    public func expireLeasesTouchesOnlyExpiredRunningTasks() async throws {
        let store = try await freshStore()
        let recorder = CommitRecorder()
        let now = Self.start + .seconds(100)
        func task(_ id: String, _ status: TaskStatus, lease: Timestamp?, queue: String = "q") -> TaskRecord {
            var task = Self.makeTask(id, queue: queue, status: status)
            task.leaseExpiresAt = lease
            return task
        }
        let tasks = [
            task("before", .running, lease: Timestamp(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch - 1)),
            task("at", .running, lease: now),
            task("after", .running, lease: Timestamp(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch + 1)),
            task("no-lease", .running, lease: nil),
            task("pending", .pending, lease: now + .seconds(-10)),
            task("completed", .completed, lease: now + .seconds(-10)),
            task("cancelled", .cancelled, lease: now + .seconds(-10)),
            task("other-queue", .running, lease: now + .seconds(-50), queue: "other"),
        ]
        try await insert(tasks, into: store)
        let expire: @Sendable (inout TaskRecord) -> Void = { TaskTransitions.expireLease(&$0, now: now) }

        let expired = try await store.expireLeases(now: now, expire, onCommit: recorder.observer)
        let expectedIDs: Set<String> = ["before", "at", "other-queue"]
        try expectEqual(Set(expired.map(\.id)), expectedIDs, "tasks whose lease expired")
        try expectEqual(expired.count, expectedIDs.count, "number of expired tasks returned")
        let calls = recorder.take()
        try expectEqual(calls.count, 1, "reports of one expiry pass")
        let changes = calls.first ?? []
        try expectEqual(Set(changes.map(\.after.id)), expectedIDs, "tasks reported by an expiry pass")
        for change in changes {
            let original = tasks.first { $0.id == change.after.id }
            try expectEqual(change.before, original, "the task \(change.after.id) before its lease expired")
            var expected = original!
            expire(&expected)
            try expectEqual(change.after, expected, "the task \(expected.id) after its lease expired")
            try expect(expired.ignoringEventNumbers.contains(expected.ignoringEventNumbers), "returned tasks include \(expected.id) as written")
        }
        for original in tasks {
            var expected = original
            if expectedIDs.contains(original.id) { expire(&expected) }
            try expectEqual(try await store.task(id: original.id), expected, "task \(original.id) after an expiry pass")
        }

        let again = try await store.expireLeases(now: now, expire, onCommit: recorder.observer)
        try expectEqual(again, [], "a second expiry pass at the same time")
        try expectEqual(recorder.recorded, [], "reports of an expiry pass that found nothing")
    }

    /// The change of a single report of one task; throws unless there is exactly one.
    func expectSingleChange(_ calls: [[TaskChange]], of id: String, _ what: String) throws -> TaskChange {
        try expectEqual(calls.count, 1, "number of reports of the \(what)")
        try expectEqual(calls[0].count, 1, "number of changes in the report of the \(what)")
        try expectEqual(calls[0][0].after.id, id, "the task in the report of the \(what)")
        return calls[0][0]
    }
}

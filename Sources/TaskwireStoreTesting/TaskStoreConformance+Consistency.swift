import TaskwireHub
import TaskwireQueue

extension TaskStoreConformance {
    /// `counts()` matches the tasks exactly, over all queues and per queue, after inserts,
    /// claims, updates (a change of queue too), refused changes and lease expiries.
    public func countsAreExact() async throws {
        let store = try await freshStore()
        try expectEqual(try await store.counts(), QueueCounts(), "counts of an empty store")

        let queues = ["alpha", "beta", "gamma"]
        let tasks = (0..<30).map { i in Self.makeTask("k\(i)", queue: queues[i % 3], priority: i % 4, offset: i) }
        try await insert(tasks, into: store)
        var expected = QueueCounts()
        for queue in queues { expected.byQueue[queue] = TaskCounts() }
        expected.all.pending = 30
        for queue in queues { expected.byQueue[queue]!.pending = 10 }
        try expectEqual(try await store.counts(), expected, "counts after 30 inserts")

        let now = Self.start + .seconds(60)
        for queue in ["alpha", "alpha", "alpha", "beta", "beta"] {
            _ = try await store.claimNext(queue: queue, Self.claim("w"), onCommit: { _ in })
        }
        let running = try await allTasks(of: store, status: .running)
        try expectEqual(running.count, 5, "running tasks after 5 claims")
        _ = try await store.update(
            id: running[0].id,
            { try TaskTransitions.complete(&$0, workerID: "w", result: "1", now: now) },
            onCommit: { _ in }
        )
        _ = try await store.update(
            id: running[1].id,
            { try TaskTransitions.fail(&$0, workerID: "w", error: "no", retry: false, now: now) },
            onCommit: { _ in }
        )
        _ = try await store.update(id: "k2", { try TaskTransitions.cancel(&$0, now: now) }, onCommit: { _ in })
        _ = try await store.update(id: "k5", { $0.queue = "delta" }, onCommit: { _ in })
        _ = try? await store.update(id: "k8", { task in
            task.status = .completed
            throw DeliberateFailure()
        }, onCommit: { _ in })
        _ = try await store.expireLeases(now: now + .seconds(3600), { TaskTransitions.expireLease(&$0, now: now) }, onCommit: { _ in })

        let all = try await allTasks(of: store, pageSize: 7)
        try expectEqual(all.count, 30, "tasks listed")
        let counts = try await store.counts()
        try expectEqual(counts, Self.tally(all), "counts against the tasks themselves")
        try expectEqual(counts.all.total, 30, "total count")
        try expectEqual(counts.all.completed, 1, "completed count")
        try expectEqual(counts.all.failed, 1, "failed count")
        try expectEqual(counts.all.cancelled, 1, "cancelled count")
        try expectEqual(counts.all.running, 0, "running count after every lease expired")
        try expectEqual(counts.all.pending, 27, "pending count")
        try expectEqual(counts.byQueue["delta"], TaskCounts.with(pending: 1), "counts of a queue a task moved to")
        try expectEqual(counts.byQueue.keys.sorted(), ["alpha", "beta", "delta", "gamma"], "queues counted")
    }

    /// 1,000 tasks, 8 claimers at once: every task is claimed exactly once, none is lost, and
    /// commit reports arrive one at a time in commit order (numbers taken inside the changes
    /// are strictly increasing in the reports).
    public func concurrentClaimersGetEachTaskOnce() async throws {
        let store = try await freshStore()
        let recorder = CommitRecorder()
        let sequencer = Sequencer()
        let taskCount = 1000
        let claimers = 8
        let ids = (0..<taskCount).map { "load-\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<claimers {
                group.addTask {
                    for i in stride(from: producer, to: taskCount, by: claimers) {
                        try await store.insert(Self.makeTask(ids[i], queue: "load", priority: i % 5, offset: i), onCommit: recorder.observer)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await insert((0..<10).map { Self.makeTask("idle-\($0)", queue: "idle") }, into: store)
        try expectEqual(recorder.take().count, taskCount, "reports of concurrent inserts")

        let claimedByWorker = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for claimer in 0..<claimers {
                group.addTask {
                    let worker = "worker-\(claimer)"
                    var claimed: [String] = []
                    while let task = try await store.claimNext(queue: "load", { task in
                        Self.claim(worker)(&task)
                        task.message = "seq:\(sequencer.next())"
                    }, onCommit: recorder.observer) {
                        claimed.append(task.id)
                        _ = try await store.update(id: task.id, { task in
                            try TaskTransitions.complete(&task, workerID: worker, result: "true", now: Self.start + .seconds(61))
                            task.message = "seq:\(sequencer.next())"
                        }, onCommit: recorder.observer)
                    }
                    return (worker, claimed)
                }
            }
            var all: [(String, [String])] = []
            for try await result in group { all.append(result) }
            return all
        }

        let claimed = claimedByWorker.flatMap(\.1)
        try expectEqual(claimed.count, taskCount, "tasks claimed")
        try expectEqual(Set(claimed), Set(ids), "the tasks claimed are the tasks inserted, each once")
        let reports = recorder.recorded
        try expectEqual(reports.count, 2 * taskCount, "reports of claims and completions")
        var last = 0
        for report in reports {
            try expectEqual(report.count, 1, "changes in one report")
            let number = report[0].after.message.flatMap { Int($0.dropFirst(4)) } ?? -1
            try expect(number > last, "reports in commit order: \(number) arrived after \(last)")
            last = number
        }
        for (worker, ids) in claimedByWorker {
            for id in ids {
                let task = try await store.task(id: id)
                try expectEqual(task?.status, .completed, "status of \(id)")
                try expectEqual(task?.workerID, worker, "worker of \(id)")
                try expectEqual(task?.attempts, 1, "attempts of \(id)")
            }
        }
        let counts = try await store.counts()
        try expectEqual(counts.byQueue["load"], TaskCounts.with(completed: taskCount), "counts of the loaded queue")
        try expectEqual(counts.byQueue["idle"], TaskCounts.with(pending: 10), "counts of a queue no one claimed from")
        try expectEqual(try await store.claimNext(queue: "load", Self.claim("late"), onCommit: { _ in }), nil, "a claim after all")
    }

    /// Tasks, changes, counts and cursors survive closing and reopening the store, and new
    /// tasks still sort after the old ones.
    public func everythingSurvivesReopen() async throws {
        guard let reopen else { throw ConformanceFailure("no reopen hook") }
        let store = try await freshStore()
        let now = Self.start + .seconds(60)
        try await insert((0..<20).map { Self.makeTask("d\($0)", queue: $0 % 2 == 0 ? "x" : "y", priority: $0 % 3, offset: $0) }, into: store)
        _ = try await store.claimNext(queue: "x", Self.claim("w"), onCommit: { _ in })
        let running = try await store.claimNext(queue: "y", Self.claim("w"), onCommit: { _ in })
        _ = try await store.update(
            id: running?.id ?? "",
            { try TaskTransitions.complete(&$0, workerID: "w", result: #"{"ok":"✓"}"#, now: now) },
            onCommit: { _ in }
        )
        _ = try await store.update(id: "d7", { try TaskTransitions.cancel(&$0, now: now) }, onCommit: { _ in })
        let tasksBefore = try await allTasks(of: store)
        let countsBefore = try await store.counts()
        let page1 = try await store.list(TaskListQuery(limit: 6))
        let page2Before = try await store.list(TaskListQuery(limit: 6, cursor: page1.nextCursor))

        let epochBefore = store.eventEpoch
        let historyBefore = try await store.events(taskID: running?.id ?? "", after: 0, limit: 100)

        let reopened = try await reopen(store)
        try await reopened.migrate()
        try expectEqual(reopened.eventEpoch, epochBefore, "the event epoch after reopening")
        try expectEqual(
            try await reopened.events(taskID: running?.id ?? "", after: 0, limit: 100),
            historyBefore,
            "a task's event history after reopening"
        )
        try expectEqual(historyBefore.map(\.seq), [1, 2, 3], "the history of a task created, claimed and completed")
        try expectEqual(try await allTasks(of: reopened), tasksBefore, "tasks after reopening")
        try expectEqual(try await reopened.counts(), countsBefore, "counts after reopening")
        try expectEqual(try await reopened.list(TaskListQuery(limit: 6, cursor: page1.nextCursor)), page2Before, "a page from a cursor made before reopening")
        for task in tasksBefore {
            try expectEqual(try await reopened.task(id: task.id), task, "task \(task.id) after reopening")
        }

        let newer = Self.makeTask("after-reopen", queue: "x", offset: 500)
        try await reopened.insert(newer, onCommit: { _ in })
        try expectEqual(try await reopened.list(TaskListQuery(limit: 1)).tasks, [newer], "the newest task after reopening")
        try await expectError(.conflict, "inserting an id stored before reopening") {
            try await reopened.insert(Self.makeTask("d0"), onCommit: { _ in })
        }
    }
}

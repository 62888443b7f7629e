import TaskwireHub
import TaskwireQueue

extension TaskStoreConformance {
    /// Each change worth an event is numbered in its own transaction: a task's events are
    /// 1, 2, 3, … without gaps, in the order of its changes, each reported with its change and
    /// kept in the task's history (read back in pages); a lease renewal, a change that threw and
    /// an unknown task add nothing; the epoch is set once migrated.
    public func taskEventsAreNumberedWithEachChange() async throws {
        let store = try await freshStore()
        let epoch = store.eventEpoch
        try expect(!epoch.isEmpty, "the event epoch is set once migrated")
        let recorder = CommitRecorder()
        let now = Self.start + .seconds(60)
        try await store.insert(Self.makeTask("e1"), onCommit: recorder.observer)
        try await store.insert(Self.makeTask("other"), onCommit: recorder.observer)
        _ = try await store.claimNext(queue: "default", Self.claim("w", at: now), onCommit: recorder.observer)
        _ = try await store.update(
            id: "e1",
            { try TaskTransitions.progress(&$0, workerID: "w", progress: 0.5, message: "half", now: now) },
            onCommit: recorder.observer
        )
        _ = try await store.update(
            id: "e1",
            { try TaskTransitions.heartbeat(&$0, workerID: "w", lease: .seconds(30), now: now + .seconds(1)) },
            onCommit: recorder.observer
        )
        do {
            _ = try await store.update(id: "e1", { _ in throw DeliberateFailure() }, onCommit: recorder.observer)
            throw ConformanceFailure("a change that throws DeliberateFailure: nothing was thrown")
        } catch is DeliberateFailure {
            // Nothing written, nothing numbered.
        }
        let done = try await store.update(
            id: "e1",
            { try TaskTransitions.complete(&$0, workerID: "w", result: "1", now: now + .seconds(2)) },
            onCommit: recorder.observer
        )

        let reported = recorder.take().flatMap { $0 }.filter { $0.after.id == "e1" }
        try expectEqual(reported.map { $0.event?.seq }, [1, 2, 3, nil, 4], "event seqs reported with e1's changes")
        try expectEqual(
            reported.map { $0.event?.eventType },
            ["task_created", "task_updated", "task_updated", nil, "task_completed"],
            "event types of e1's changes"
        )
        try expectEqual(done.eventSeq, 4, "eventSeq of the task as written")
        try expectEqual(try await store.task(id: "e1")?.eventSeq, 4, "eventSeq of the task read back")

        let history = try await store.events(taskID: "e1", after: 0, limit: 100)
        try expectEqual(history, reported.compactMap(\.event), "e1's history is the reported events")
        try expect(history.allSatisfy { $0.epoch == epoch && $0.taskID == "e1" }, "events carry the store's epoch and the task")
        try expect(history.last?.body.contains(#""status":"completed""#) == true, "the last event's body tells the status")
        try expectEqual(history.last?.createdAt, now + .seconds(2), "an event's time is its change's")
        try expectEqual(try await store.events(taskID: "e1", after: 1, limit: 2).map(\.seq), [2, 3], "a page after seq 1")
        try expectEqual(try await store.events(taskID: "e1", after: 4, limit: 10), [], "nothing after the last event")
        try expectEqual(try await store.events(taskID: "other", after: 0, limit: 10).map(\.seq), [1], "another task numbers its own events")
        try expectEqual(try await store.events(taskID: "nope", after: 0, limit: 10), [], "an unknown task has no events")
    }
}

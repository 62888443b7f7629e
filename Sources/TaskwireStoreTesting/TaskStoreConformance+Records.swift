import TaskwireHub
import TaskwireQueue

/// A failure thrown by a change on purpose.
struct DeliberateFailure: Error, Equatable {}

extension TaskStoreConformance {
    /// Every field survives insert then read: JSON text byte for byte (unicode, numbers too big
    /// for any integer type, odd spacing), empty strings distinct from nil, 0 distinct from nil
    /// progress, 64-bit integers, nanosecond timestamps. The insert is reported once.
    public func insertRoundTripsEveryField() async throws {
        let store = try await freshStore()
        let recorder = CommitRecorder()
        let full = TaskRecord(
            id: "round-trip-full",
            queue: "media.images_v2",
            name: "résumé ✓ 日本語 🚀 cafe\u{301}",
            payload: "{\n  \"big\": 123456789012345678901234567890, \"neg\": -9223372036854775809,\n"
                + "  \"f\":1.50E+300,\"s\":\"caf\\u00e9 café cafe\u{301} 😀 \\\"q\\\" \\\\ /\",\"n\":[ 1 , {\"a\":null} ,true ]\t}",
            priority: Int.max,
            status: .running,
            progress: 1.0 / 3.0,
            message: "ünïcödé message 💬",
            attempts: 5_000_000_000,
            maxAttempts: 5_000_000_001,
            workerID: "wörker-7",
            leaseExpiresAt: Timestamp(nanosecondsSinceEpoch: 1_800_000_030_987_654_321),
            result: "[1e400, 0.1000, \"日本語\", {}]",
            error: "łatwy błąd",
            createdAt: Self.start,
            updatedAt: Timestamp(nanosecondsSinceEpoch: 1_800_000_001_000_000_001)
        )
        let sparse = TaskRecord(
            id: "round-trip-sparse",
            queue: "default",
            name: "n",
            payload: "null",
            priority: Int.min,
            status: .pending,
            maxAttempts: 1,
            createdAt: Timestamp(nanosecondsSinceEpoch: 1),
            updatedAt: Timestamp(nanosecondsSinceEpoch: 1)
        )
        var empties = Self.makeTask("round-trip-empties", status: .completed)
        empties.progress = 0
        empties.message = ""
        empties.error = ""
        empties.workerID = ""
        empties.result = "null"
        empties.payload = "\"\""

        for task in [full, sparse, empties] {
            try await store.insert(task, onCommit: recorder.observer)
            try expectEqual(recorder.take(), [[TaskChange(before: nil, after: task)]], "the insert of \(task.id) is reported once")
            let stored = try await store.task(id: task.id)
            try expectEqual(stored, task, "task \(task.id) read back")
            try expect(sameBytes(stored?.payload, task.payload), "payload of \(task.id) kept byte for byte")
            try expect(sameBytes(stored?.result, task.result), "result of \(task.id) kept byte for byte")
            try expect(sameBytes(stored?.name, task.name), "name of \(task.id) kept byte for byte")
            try expect(sameBytes(stored?.message, task.message), "message of \(task.id) kept byte for byte")
        }
        try expectEqual(try await store.task(id: "no-such-task"), nil, "an unknown id")
    }

    /// A second task with an existing id is refused with `.conflict`, and the first is kept.
    public func duplicateIDIsRejected() async throws {
        let store = try await freshStore()
        let recorder = CommitRecorder()
        let first = Self.makeTask("dup", queue: "a")
        try await store.insert(first, onCommit: recorder.observer)
        _ = recorder.take()
        var second = Self.makeTask("dup", queue: "b", priority: 9, status: .running)
        second.payload = #"{"second":true}"#
        try await expectError(.conflict, "inserting a duplicate id") {
            try await store.insert(second, onCommit: recorder.observer)
        }
        try expectEqual(recorder.recorded, [], "reports of a refused insert")
        try expectEqual(try await store.task(id: "dup"), first, "the first task after a refused duplicate")
        try expectEqual(try await store.counts(), Self.tally([first]), "counts after a refused duplicate")
        try expectEqual(try await allTasks(of: store).map(\.id), ["dup"], "tasks listed after a refused duplicate")
    }

    /// `update` applies the change, returns and stores the result, and reports
    /// `TaskChange(before, after)` exactly once. An unknown id is `.notFound` and reports nothing.
    public func updateAppliesTheChangeAndReportsItOnce() async throws {
        let store = try await freshStore()
        let recorder = CommitRecorder()
        let before = Self.makeTask("u1", status: .running)
        try await insert([before, Self.makeTask("u2")], into: store)

        let now = Self.start + .seconds(5)
        let after = try await store.update(
            id: "u1",
            { try TaskTransitions.progress(&$0, workerID: "worker-1", progress: 0.25, message: "a quarter", now: now) },
            onCommit: recorder.observer
        )
        var expected = before
        expected.progress = 0.25
        expected.message = "a quarter"
        expected.updatedAt = now
        try expectEqual(after, expected, "the task update returns")
        try expectEqual(try await store.task(id: "u1"), expected, "the task as stored after update")
        try expectEqual(recorder.take(), [[TaskChange(before: before, after: expected)]], "reports of one update")
        try expectEqual(try await store.task(id: "u2"), Self.makeTask("u2"), "another task after an update")

        try await expectError(.notFound, "updating an unknown id") {
            _ = try await store.update(id: "missing", { $0.message = "x" }, onCommit: recorder.observer)
        }
        try expectEqual(recorder.recorded, [], "reports of an update of an unknown id")
        try expectEqual(try await store.task(id: "missing"), nil, "an unknown id after an update of it")
    }

    /// A change that throws leaves the task as it was, reports nothing, and its error reaches
    /// the caller unchanged (a ``TaskQueueError`` with its message, or any other error).
    public func throwingChangeWritesNothing() async throws {
        let store = try await freshStore()
        let recorder = CommitRecorder()
        let task = Self.makeTask("t1", status: .completed)
        try await insert([task], into: store)
        let countsBefore = try await store.counts()

        let refused = try await expectError(.conflict, "cancelling a completed task") {
            _ = try await store.update(
                id: "t1",
                { task in
                    task.message = "half-written"
                    task.status = .cancelled
                    try TaskTransitions.cancel(&task, now: Self.start + .seconds(1))
                },
                onCommit: recorder.observer
            )
        }
        try expect(refused.message.contains("t1"), "the conflict from the change reaches the caller unchanged, got \(refused)")

        do {
            _ = try await store.update(id: "t1", { task in
                task.queue = "elsewhere"
                throw DeliberateFailure()
            }, onCommit: recorder.observer)
            throw ConformanceFailure("a change that throws DeliberateFailure: nothing was thrown")
        } catch is DeliberateFailure {
            // The error came through unchanged.
        }

        try expectEqual(recorder.recorded, [], "reports of changes that threw")
        try expectEqual(try await store.task(id: "t1"), task, "the task after changes that threw")
        try expectEqual(try await store.counts(), countsBefore, "counts after changes that threw")
    }
}
